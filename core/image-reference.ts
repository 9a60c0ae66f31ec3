// Container image references, following the distribution/reference grammar:
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ("/" path-component)*
//   domain    := host [":" port]     host: DNS name, "localhost", IPv4, or "[IPv6]"
//   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := "." | "_" | "__" | "-"+
//   tag       := [\w][\w.-]{0,127}
//   digest    := algorithm ":" hex   (sha256: 64 hex, sha512: 128 hex, others: >= 32 chars)
// Normalisation follows Docker: no domain means docker.io, a single docker.io component gets
// "library/", and index.docker.io is docker.io. Invalid input throws ImageReferenceError and
// never yields a half-parsed value.
import { ValidationError } from './errors.ts';

export const MAX_NAME_LENGTH = 255;
export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+(?:%[\w.-]+)?\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Thrown when a string is not a valid image reference; the message says what is wrong. */
export class ImageReferenceError extends ValidationError {
  override name = 'ImageReferenceError';
  readonly input: string;
  constructor(input: string, reason: string) {
    super(
      `image reference ${JSON.stringify(input.length > 300 ? `${input.slice(0, 300)}...` : input)}`,
      reason,
    );
    this.input = input;
  }
}

export interface ImageReference {
  /** Registry host[:port], normalised (docker.io for Docker Hub). */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** `domain/path`, the repository's full name. */
  readonly name: string;
}

function validateDigest(input: string, digest: string): void {
  if (!DIGEST.test(digest)) throw new ImageReferenceError(input, `invalid digest ${JSON.stringify(digest)}`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const expected = lengths[algorithm];
  if (expected !== undefined && !new RegExp(`^[a-f0-9]{${expected}}$`).test(hex)) {
    throw new ImageReferenceError(input, `${algorithm} digest must be ${expected} lowercase hex characters`);
  }
}

function validateDomain(input: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0)
      throw new ImageReferenceError(input, `unterminated IPv6 address in ${JSON.stringify(domain)}`);
    host = domain.slice(0, close + 1);
    const rest = domain.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':'))
        throw new ImageReferenceError(input, `invalid domain ${JSON.stringify(domain)}`);
      port = rest.slice(1);
    }
    if (!IPV6_HOST.test(host))
      throw new ImageReferenceError(input, `invalid IPv6 address ${JSON.stringify(host)}`);
  } else {
    const colon = domain.lastIndexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    const labels = host.split('.');
    if (host === '' || labels.some((label) => !DOMAIN_COMPONENT.test(label))) {
      throw new ImageReferenceError(input, `invalid registry domain ${JSON.stringify(domain)}`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535 || port === '')) {
    throw new ImageReferenceError(
      input,
      `invalid port ${JSON.stringify(port)} in domain ${JSON.stringify(domain)}`,
    );
  }
}

/** Whether the first path segment is a registry domain rather than a repository component. */
function looksLikeDomain(segment: string): boolean {
  return (
    segment.includes('.') ||
    segment.includes(':') ||
    segment === 'localhost' ||
    segment.startsWith('[') ||
    segment !== segment.toLowerCase()
  );
}

/** Parses and normalises an image reference; throws ImageReferenceError when invalid. */
export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string') throw new ImageReferenceError(String(input), 'not a string');
  if (input.length === 0) throw new ImageReferenceError(input, 'is empty');
  if (input !== input.trim()) throw new ImageReferenceError(input, 'has leading or trailing whitespace');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\s\x00-\x1f\x7f]/.test(input))
    throw new ImageReferenceError(input, 'contains whitespace or control characters');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes('@')) throw new ImageReferenceError(input, 'has more than one "@"');
    validateDigest(input, digest);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  // A colon after the last slash separates the tag (a colon before it belongs to a port).
  if (lastColon > lastSlash && !(lastSlash < 0 && rest.startsWith('['))) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      throw new ImageReferenceError(
        input,
        tag === ''
          ? 'has an empty tag'
          : `invalid tag ${JSON.stringify(tag)} (letters, digits, _ . -, at most 128, not starting with . or -)`,
      );
    }
  }

  if (rest === '') throw new ImageReferenceError(input, 'has no repository name');
  const segments = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = segments[0] as string;
  if (segments.length > 1 && looksLikeDomain(first)) {
    domain = first;
    segments.shift();
    validateDomain(input, domain);
    if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  }
  for (const segment of segments) {
    if (segment === '')
      throw new ImageReferenceError(input, 'has an empty path component ("//" or a trailing "/")');
    if (!PATH_COMPONENT.test(segment)) {
      const reason =
        segment !== segment.toLowerCase()
          ? 'repository names must be lowercase'
          : 'path components are lowercase letters and digits joined by ".", "_", "__" or "-"';
      throw new ImageReferenceError(input, `invalid path component ${JSON.stringify(segment)}: ${reason}`);
    }
  }
  if (domain === DEFAULT_DOMAIN && segments.length === 1) segments.unshift('library');
  const path = segments.join('/');
  const name = `${domain}/${path}`;
  if (name.length > MAX_NAME_LENGTH) {
    throw new ImageReferenceError(
      input,
      `repository name is ${name.length} characters, over the limit of ${MAX_NAME_LENGTH}`,
    );
  }
  return Object.freeze({ domain, path, tag, digest, name });
}

export type ParseResult = { ok: true; ref: ImageReference } | { ok: false; error: ImageReferenceError };

/** Like parseImageReference, but returns the error instead of throwing. */
export function tryParseImageReference(input: string): ParseResult {
  try {
    return { ok: true, ref: parseImageReference(input) };
  } catch (error) {
    if (error instanceof ImageReferenceError) return { ok: false, error };
    throw error;
  }
}

/** The canonical string: `domain/path[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The canonical string with `:latest` added when there is neither tag nor digest (what a pull uses). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return Object.freeze({ ...ref, tag: 'latest' });
}

/** The short form Docker prints (`nginx:1.27` for docker.io/library/nginx:1.27). */
export function familiarString(ref: ImageReference): string {
  let name = ref.name;
  // Docker Hub names drop the domain, unless the first component would then read as a domain.
  if (ref.domain === DEFAULT_DOMAIN && !looksLikeDomain(ref.path.split('/')[0] as string)) {
    name = ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice(8) : ref.path;
  }
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The registry API host for a domain (Docker Hub's API lives on registry-1.docker.io). */
export function registryApiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}
