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
  if (bucket.image === null) {
    push(invalid, { image: '(missing)', reason: `${bucket.documents} document(s) without an image name` });
    return undefined;
  }
  const parsed = tryParseImageReference(bucket.image);
  if (!parsed.ok) {
    push(invalid, { image: bucket.image, reason: parsed.error.message });
    return undefined;
  }
  let digest = parsed.ref.digest;
  if (bucket.digest !== null) {
    if (DIGEST.test(bucket.digest)) digest = bucket.digest;
    else
      push(invalid, {
        image: bucket.image,
        reason: `invalid digest ${JSON.stringify(bucket.digest.slice(0, 80))}`,
      });
  }
  const tags = new Set<string>();
  if (parsed.ref.tag !== undefined) tags.add(parsed.ref.tag);
  for (const tag of bucket.tags) if (/^[\w][\w.-]{0,127}$/.test(tag)) tags.add(tag);
  return {
    ref: parsed.ref,
    reference: bucket.image,
    references: new Set([bucket.image]),
    digest,
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

/** Merges partials that share an id. Host counts are summed: an upper bound when hosts overlap. */
export function merge(into: ImagePartial, other: ImagePartial): void {
  if (other.hostCount > into.hostCount) {
    into.ref = other.ref;
    into.reference = other.reference;
  }
  for (const tag of other.tags) into.tags.add(tag);
  for (const reference of other.references) into.references.add(reference);
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
