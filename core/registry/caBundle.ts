// Private certificate authorities for registries (`registry.caFile`): a PEM bundle read and
// checked once, then added to the default trust store of the registry HTTP client only (the
// rest of the process, e.g. the AWS SDK, keeps the default store). Node's global fetch takes
// no CA option, so the client uses undici's fetch with an Agent carrying the bundle.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { ValidationError } from '../errors.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle file; ValidationError naming the file when unreadable or empty. */
export function readCaBundle(path: string): string[] {
  const source = path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ValidationError(source, `cannot be read${code ? ` (${code})` : ''}`, { cause: error });
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new ValidationError(source, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ValidationError(source, `certificate ${i + 1} does not parse`, { cause: error });
    }
  });
  return blocks;
}

/** A fetch that trusts the default CAs plus `extraCas`, for the registry client. */
export function fetchTrusting(extraCas: readonly string[]): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...extraCas] } });
  const trusting = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  // undici's fetch is the implementation behind Node's global one; only its types differ
  return trusting as unknown as typeof fetch;
}
