// Image buckets from a source, made into "partials": parsed references, validated digests
// and tags, merged when they turn out to be the same image. Used by buildInventory.
import { type ImageReference, tryParseImageReference } from '../../core/image-reference.ts';
import type { ImageBucket } from './InventorySource.ts';

export interface Sample<T> {
  count: number;
  sample: T[];
}

export const SAMPLE = 10;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface ImagePartial {
  ref: ImageReference;
  reference: string;
  /** Every reported string folded into this one. */
  references: Set<string>;
  digest: string | undefined;
  /** Other digests of the same image (listed beside `digest` in container.image.hash.all). */
  aliases: Set<string>;
  tags: Set<string>;
  hostCount: number;
  sampleHosts: string[];
  containers: number;
  labels: ImageBucket['labels'];
  firstSeen: string | undefined;
  lastSeen: string | undefined;
}

export function push<T>(target: Sample<T>, value: T): void {
  target.count++;
  if (target.sample.length < SAMPLE) target.sample.push(value);
}

export function toPartial(
  bucket: ImageBucket,
  invalid: Sample<{ image: string; reason: string }>,
): ImagePartial | undefined {
  const names =
    bucket.names && bucket.names.length > 0 ? bucket.names : bucket.image === null ? [] : [bucket.image];
  if (names.length === 0) {
    push(invalid, { image: '(missing)', reason: `${bucket.documents} document(s) without an image name` });
    return undefined;
  }
  // the most reported name that parses names the image; the others are kept as references
  let parsed: ReturnType<typeof tryParseImageReference> | undefined;
  let reference = names[0] as string;
  for (const name of names) {
    const attempt = tryParseImageReference(name);
    if (attempt.ok) {
      parsed = attempt;
      reference = name;
      break;
    }
    push(invalid, { image: name, reason: attempt.error.message });
  }
  if (!parsed?.ok) return undefined;
  let digest = parsed.ref.digest;
  for (const bad of bucket.invalidDigests ?? [])
    push(invalid, { image: reference, reason: `invalid digest ${JSON.stringify(bad.slice(0, 80))}` });
  if (bucket.digest !== null) {
    if (DIGEST.test(bucket.digest)) digest = bucket.digest;
    else
      push(invalid, {
        image: reference,
        reason: `invalid digest ${JSON.stringify(bucket.digest.slice(0, 80))}`,
      });
  }
  const tags = new Set<string>();
  if (parsed.ref.tag !== undefined) tags.add(parsed.ref.tag);
  for (const tag of bucket.tags) if (/^[\w][\w.-]{0,127}$/.test(tag)) tags.add(tag);
  return {
    ref: parsed.ref,
    reference,
    references: new Set(names.filter((n) => tryParseImageReference(n).ok)),
    digest,
    aliases: new Set((bucket.aliases ?? []).filter((a) => a !== digest)),
    tags,
    hostCount: bucket.hostCount,
    sampleHosts: bucket.sampleHosts,
    containers: bucket.containers,
    labels: bucket.labels,
    firstSeen: bucket.firstSeen,
    lastSeen: bucket.lastSeen,
  };
}

/** What a digest-less bucket resolves: its own tag, else the most reported tag, else `latest`. */
export function tagReference(p: ImagePartial): ImageReference {
  return { ...p.ref, tag: p.ref.tag ?? [...p.tags][0] ?? 'latest', digest: undefined };
}

function minIso(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a < b ? a : b;
}
function maxIso(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a > b ? a : b;
}

/**
 * Merges partials that share an id. The sources count each image's hosts and containers
 * distinct already; what still merges here is a tag-only image resolving to the digest of
 * another, and there the counts are summed: an upper bound when the hosts overlap.
 */
export function merge(into: ImagePartial, other: ImagePartial): void {
  if (other.hostCount > into.hostCount) {
    into.ref = other.ref;
    into.reference = other.reference;
  }
  for (const tag of other.tags) into.tags.add(tag);
  for (const reference of other.references) into.references.add(reference);
  for (const alias of other.aliases) if (alias !== into.digest) into.aliases.add(alias);
  into.hostCount += other.hostCount;
  into.sampleHosts = [...new Set([...into.sampleHosts, ...other.sampleHosts])].slice(0, SAMPLE);
  into.containers += other.containers;
  for (const label of other.labels) {
    const existing = into.labels.find((l) => l.key === label.key);
    if (existing) existing.values = [...new Set([...existing.values, ...label.values])];
    else into.labels.push({ ...label });
  }
  into.firstSeen = minIso(into.firstSeen, other.firstSeen);
  into.lastSeen = maxIso(into.lastSeen, other.lastSeen);
}
