// An OCI distribution (registry v2) client: reachability, tag -> digest by HEAD, manifests
// verified against their digest, the platform manifest of an index, the image config blob,
// and blob locations for third parties (Clair). Transport concerns (auth, retries, timeouts,
// redirects) live in RegistryTransport.
//
// Errors: UpstreamError (unreachable, 5xx/429 after retries, redirect loop), AuthError
// (401/403 after the auth flow), NotFoundError (404), ValidationError (bad digest, broken
// JSON, unknown media type).
import type { z } from 'zod';
import type { Clock } from '../clock.ts';
import { NotFoundError, UpstreamError, ValidationError } from '../errors.ts';
import { formatImageReference, type ImageReference } from '../image-reference.ts';
import type { Logger } from '../logger.ts';
import type { CredentialSource } from './CredentialSource.ts';
import { computeDigest, isVerifiableDigest, verifyDigest } from './digest.ts';
import { ImageConfigBlob, ImageIndex, ImageManifest, type Platform } from './manifest.ts';
import { bareMediaType, isImageManifestType, isIndexType, MANIFEST_ACCEPT } from './mediaTypes.ts';
import { choosePlatform, DEFAULT_PLATFORM } from './platform.ts';
import { RegistryTransport } from './RegistryTransport.ts';

export interface RegistryClientOptions {
  credentials?: CredentialSource;
  /** Registries (host:port) spoken to over plain http. */
  insecure?: string[];
  /** Platform chosen from multi-arch indexes; linux/amd64 by default. */
  platform?: Platform;
  timeoutMs?: number;
  pingTimeoutMs?: number;
  retries?: number;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Injected for tests: backoff sleeps and jitter, token expiry. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: Clock;
}

export type ManifestResult =
  | { digest: string; mediaType: string; bytes: Uint8Array; manifest: ImageManifest; kind: 'manifest' }
  | { digest: string; mediaType: string; bytes: Uint8Array; manifest: ImageIndex; kind: 'index' };

export interface PlatformManifest {
  /** The index's digest when the reference named a multi-arch index. */
  indexDigest?: string;
  digest: string;
  manifest: ImageManifest;
}

export interface ImageConfig {
  created?: string;
  labels: Record<string, string>;
  os?: string;
  architecture?: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const repositoryScope = (path: string): string => `repository:${path}:pull`;
const manifestPath = (ref: ImageReference): string =>
  `/v2/${ref.path}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`;

function parseJson(source: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ValidationError(source, `is not valid JSON (${bytes.length} bytes, truncated or corrupt)`, {
      cause: error,
    });
  }
}

export class RegistryClient {
  readonly #transport: RegistryTransport;
  readonly #platform: Platform;
  readonly #pingTimeoutMs: number;

  constructor(options: RegistryClientOptions = {}) {
    this.#transport = new RegistryTransport(options);
    this.#platform = options.platform ?? DEFAULT_PLATFORM;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 3_000;
  }

  /** GET /v2/ with a short timeout and no retries; 200 or 401 means the registry is up. */
  async ping(domain: string): Promise<{ ok: true } | { ok: false; error: UpstreamError }> {
    try {
      const res = await this.#transport.request(domain, {
        method: 'GET',
        path: '/v2/',
        noAuth: true,
        timeoutMs: this.#pingTimeoutMs,
        retries: 0,
      });
      if (res.status === 200 || res.status === 401) return { ok: true };
      return {
        ok: false,
        error: new UpstreamError(domain, `/v2/ answered ${res.status}: not a registry`, {
          status: res.status,
        }),
      };
    } catch (error) {
      if (error instanceof UpstreamError) return { ok: false, error };
      return { ok: false, error: new UpstreamError(domain, 'ping failed', { cause: error }) };
    }
  }

  /**
   * The manifest digest a reference points at: one HEAD with the full Accept list, read from
   * Docker-Content-Digest (a GET and sha256 of the bytes when the header is missing or HEAD is refused). A
   * digest-pinned reference is answered without a request.
   */
  async resolveDigest(ref: ImageReference): Promise<string> {
    if (ref.digest !== undefined) return ref.digest;
    const res = await this.#transport.request(ref.domain, {
      method: 'HEAD',
      path: manifestPath(ref),
      headers: { accept: MANIFEST_ACCEPT },
      scope: repositoryScope(ref.path),
    });
    if (res.status === 404) this.#expectOk(ref, res.status, 'manifest');
    const header = res.headers.get('docker-content-digest');
    if (res.status === 200 && header !== null && isVerifiableDigest(header)) return header;
    // No usable header, or a registry that refuses HEAD (405): hash the GET's bytes instead.
    return (await this.getManifest(ref)).digest;
  }

  /**
   * Whether the registry holds this digest in this repository: one manifest HEAD. 404 (manifest
   * or repository unknown) is false; anything else but 200 throws, so the caller can tell "not
   * there" from "could not ask". A registry that refuses HEAD (405) is asked with a GET.
   */
  async hasManifest(ref: ImageReference & { digest: string }): Promise<boolean> {
    const res = await this.#transport.request(ref.domain, {
      method: 'HEAD',
      path: manifestPath(ref),
      headers: { accept: MANIFEST_ACCEPT },
      scope: repositoryScope(ref.path),
    });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    if (res.status === 405) {
      return this.getManifest(ref).then(
        () => true,
        (error: unknown) => {
          if (error instanceof NotFoundError) return false;
          throw error;
        },
      );
    }
    this.#expectOk(ref, res.status, 'manifest');
    return true;
  }

  /** The manifest or index, its media type and its digest, verified over the exact bytes. */
  async getManifest(ref: ImageReference): Promise<ManifestResult> {
    const source = `${formatImageReference(ref)} manifest`;
    const res = await this.#transport.request(ref.domain, {
      method: 'GET',
      path: manifestPath(ref),
      headers: { accept: MANIFEST_ACCEPT },
      scope: repositoryScope(ref.path),
    });
    this.#expectOk(ref, res.status, 'manifest');
    const bytes = res.body;
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new ValidationError(
        source,
        `is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES} byte limit`,
      );
    }
    const header = res.headers.get('docker-content-digest') || undefined;
    if (ref.digest !== undefined) verifyDigest(source, bytes, ref.digest);
    if (header !== undefined) verifyDigest(`${source} (Docker-Content-Digest)`, bytes, header);
    const digest = ref.digest ?? header ?? computeDigest(bytes);
    const json = parseJson(source, bytes);
    const declared =
      typeof json === 'object' && json !== null && 'mediaType' in json && typeof json.mediaType === 'string'
        ? json.mediaType
        : undefined;
    const mediaType = bareMediaType(declared ?? res.headers.get('content-type'));
    if (isImageManifestType(mediaType)) {
      return {
        digest,
        mediaType,
        bytes,
        manifest: this.#schema(source, ImageManifest, json),
        kind: 'manifest',
      };
    }
    if (isIndexType(mediaType)) {
      return { digest, mediaType, bytes, manifest: this.#schema(source, ImageIndex, json), kind: 'index' };
    }
    throw new ValidationError(source, `unsupported media type ${JSON.stringify(mediaType || '(none)')}`);
  }

  /** The image manifest for the configured platform (through the index when there is one). */
  async resolvePlatformManifest(ref: ImageReference): Promise<PlatformManifest> {
    const top = await this.getManifest(ref);
    if (top.kind === 'manifest') return { digest: top.digest, manifest: top.manifest };
    const entry = choosePlatform(top.manifest, this.#platform, formatImageReference(ref));
    const child = await this.getManifest({ ...ref, tag: undefined, digest: entry.digest });
    if (child.kind !== 'manifest') {
      throw new ValidationError(
        `${formatImageReference(ref)} index`,
        `entry ${entry.digest} is not an image manifest`,
      );
    }
    return { indexDigest: top.digest, digest: child.digest, manifest: child.manifest };
  }

  /** Created time, labels and platform from the image's config blob (verified by digest). */
  async getImageConfig(ref: ImageReference): Promise<ImageConfig> {
    const { manifest } = await this.resolvePlatformManifest(ref);
    const digest = manifest.config.digest;
    const source = `${formatImageReference(ref)} config ${digest}`;
    const res = await this.#transport.request(ref.domain, {
      method: 'GET',
      path: `/v2/${ref.path}/blobs/${digest}`,
      scope: repositoryScope(ref.path),
    });
    this.#expectOk(ref, res.status, `config blob ${digest}`);
    verifyDigest(source, res.body, digest);
    const blob = this.#schema(source, ImageConfigBlob, parseJson(source, res.body));
    return {
      ...(blob.created !== undefined ? { created: blob.created } : {}),
      labels: blob.config?.Labels ?? {},
      ...(blob.os !== undefined ? { os: blob.os } : {}),
      ...(blob.architecture !== undefined ? { architecture: blob.architecture } : {}),
    };
  }

  blobUrl(domain: string, path: string, digest: string): string {
    return `${this.#transport.baseUrl(domain)}/v2/${path}/blobs/${digest}`;
  }

  /** The Authorization header a third party must send to read this repository's blobs, if any. */
  authorization(domain: string, path: string, scope = repositoryScope(path)): Promise<string | undefined> {
    return this.#transport.authorization(domain, scope);
  }

  /**
   * Where a blob can really be fetched: follows redirects (307 to storage) with
   * `Range: bytes=0-0`, as clairctl does. Headers carry the registry's Authorization only when
   * the final URL is still the registry itself.
   */
  async resolveBlobLocation(
    domain: string,
    path: string,
    digest: string,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const res = await this.#transport.request(domain, {
      method: 'GET',
      path: `/v2/${path}/blobs/${digest}`,
      headers: { range: 'bytes=0-0' },
      scope: repositoryScope(path),
      discardBody: true,
    });
    if (res.status === 404) throw new NotFoundError(`${domain}/${path}: blob ${digest} not found`);
    if (res.status !== 200 && res.status !== 206) {
      throw new UpstreamError(domain, `blob ${digest} answered ${res.status}`, { status: res.status });
    }
    const onRegistry = new URL(res.url).origin === new URL(this.#transport.baseUrl(domain)).origin;
    const authorization = onRegistry ? await this.authorization(domain, path) : undefined;
    return { url: res.url, headers: authorization ? { Authorization: authorization } : {} };
  }

  #expectOk(ref: ImageReference, status: number, what: string): void {
    if (status === 200) return;
    if (status === 404) throw new NotFoundError(`${formatImageReference(ref)}: ${what} not found`);
    throw new UpstreamError(ref.domain, `${formatImageReference(ref)}: ${what} answered ${status}`, {
      status,
    });
  }

  #schema<T>(source: string, schema: z.ZodType<T>, json: unknown): T {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(root)';
    throw new ValidationError(source, `${where}: ${issue?.message ?? 'invalid'}`, { cause: parsed.error });
  }
}
