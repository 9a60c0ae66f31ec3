// Private certificate authorities for registries (`registry.caFile`): a PEM bundle read and
// checked (at config load, so a wrong path fails the start), then handed to
// trustingFetch.ts for the registry HTTP client.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
