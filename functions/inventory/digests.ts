// Which digest values the inventory keys images by. ECS `container.image.hash.all` is a list:
// a runtime that pulled one image through two repositories reports both repository digests.
// The image is keyed by the first valid digest a document lists; the others are its aliases.

/** What the scan and the registry can use: `sha256:` and 64 lowercase hex digits. */
export const VALID_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** The same test as a Lucene regexp (anchored by Lucene), for the Elasticsearch query. */
export const VALID_DIGEST_LUCENE = 'sha256:[a-f0-9]{64}';

/** A document's digest values split into valid ones (in document order) and the rest. */
export function splitDigests(values: readonly string[]): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const v of values) {
    if (VALID_DIGEST.test(v)) {
      if (!valid.includes(v)) valid.push(v);
    } else if (!invalid.includes(v)) invalid.push(v);
  }
  return { valid, invalid };
}
