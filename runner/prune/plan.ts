// Which images a prune may remove, and why, without touching anything: pure planning over the
// image list, the containers (running or stopped), node state and the desired set.
// Only managed images are candidates: pulled by the runner (state `managed`) or carrying the
// configured label. An image any container uses, or one desired now, is never a candidate.
import { formatImageReference, tryParseImageReference, withDefaultTag } from '../../core/image-reference.ts';
import type { ContainerSummary, LocalImage } from '../runtime/ImageRuntime.ts';
import type { ImageState } from '../state.ts';

export type KeepReason = 'unmanaged' | 'in-use' | 'desired' | 'within-retention';
export type RemoveReason = 'retention-expired' | 'disk-pressure';

export interface ImageVerdict {
  id: string;
  references: string[];
  size: number;
  managedBy: 'state' | 'label' | undefined;
  /** Last time the image was in the desired set (state), or its creation time when never. */
  lastDesired: string | undefined;
  verdict: { keep: KeepReason; detail: string } | { remove: RemoveReason; detail: string };
}

export interface PlanInput {
  images: readonly LocalImage[];
  containers: readonly ContainerSummary[];
  stateImages: Readonly<Record<string, ImageState>>;
  /** References desired in this pass (any form; normalised here). */
  desiredNow: readonly string[];
  now: Date;
  retentionMs: number;
  /** `key=value` or `key`: images carrying it are managed too. */
  labelSelector?: string | undefined;
  /** Only when the schedule is due do expired candidates go. */
  retentionDue: boolean;
}

export function normaliseReference(reference: string): string | undefined {
  const parsed = tryParseImageReference(reference);
  return parsed.ok ? formatImageReference(withDefaultTag(parsed.ref)) : undefined;
}

export function matchesLabelSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return false;
  const at = selector.indexOf('=');
  if (at < 0) return Object.hasOwn(labels, selector.trim());
  return labels[selector.slice(0, at).trim()] === selector.slice(at + 1).trim();
}

function referencesOf(image: LocalImage): { tags: Set<string>; digests: Set<string> } {
  const tags = new Set<string>();
  const digests = new Set<string>();
  for (const tag of image.repoTags) {
    const n = tag === '<none>:<none>' ? undefined : normaliseReference(tag);
    if (n) tags.add(n);
  }
  for (const rd of image.repoDigests) {
    const n = normaliseReference(rd);
    if (n) digests.add(n);
  }
  return { tags, digests };
}

/**
 * The node state indexed once per plan, by each entry's normalised tag and by repository and
 * digest (its recorded digest, and the digest its reference pins): matching every image against
 * every entry, parsing each reference again, grew with images x entries.
 */
interface StateIndex {
  byTag: Map<string, number[]>;
  byDigest: Map<string, number[]>;
  entries: [string, ImageState][];
}

function indexState(state: Readonly<Record<string, ImageState>>): StateIndex {
  const index: StateIndex = { byTag: new Map(), byDigest: new Map(), entries: Object.entries(state) };
  const add = (map: Map<string, number[]>, key: string, at: number): void => {
    const list = map.get(key);
    if (list) list.push(at);
    else map.set(key, [at]);
  };
  for (const [at, [reference, entry]] of index.entries.entries()) {
    const parsed = tryParseImageReference(reference);
    if (!parsed.ok) continue;
    add(index.byTag, formatImageReference(withDefaultTag(parsed.ref)), at);
    const repo = parsed.ref.name;
    if (entry.digest !== undefined) add(index.byDigest, `${repo}@${entry.digest}`, at);
    if (parsed.ref.digest !== undefined) add(index.byDigest, `${repo}@${parsed.ref.digest}`, at);
  }
  return index;
}

/** State entries that describe this local image (same tag, or same repository and digest), in state order. */
function stateEntriesOf(
  references: { tags: Set<string>; digests: Set<string> },
  index: StateIndex,
): [string, ImageState][] {
  const found = new Set<number>();
  for (const tag of references.tags) for (const at of index.byTag.get(tag) ?? []) found.add(at);
  for (const digest of references.digests) for (const at of index.byDigest.get(digest) ?? []) found.add(at);
  return [...found].sort((a, b) => a - b).map((at) => index.entries[at] as [string, ImageState]);
}

export function planPrune(input: PlanInput): ImageVerdict[] {
  const desired = new Set(input.desiredNow.map((r) => normaliseReference(r)).filter((r): r is string => !!r));
  const usedIds = new Set<string>();
  const usedRefs = new Set<string>();
  for (const container of input.containers) {
    usedIds.add(container.imageId);
    usedRefs.add(container.image);
    const n = normaliseReference(container.image);
    if (n) usedRefs.add(n);
  }
  const now = input.now.getTime();
  const stateIndex = indexState(input.stateImages);
  return input.images.map((image): ImageVerdict => {
    const { tags, digests } = referencesOf(image);
    const entries = stateEntriesOf({ tags, digests }, stateIndex);
    const references = [...image.repoTags.filter((t) => t !== '<none>:<none>'), ...image.repoDigests];
    const managedBy: ImageVerdict['managedBy'] = entries.some(([, e]) => e.managed)
      ? 'state'
      : matchesLabelSelector(image.labels, input.labelSelector)
        ? 'label'
        : undefined;
    const lastDesiredMs = Math.max(
      ...entries
        .map(([, e]) => (e.lastDesired ? Date.parse(e.lastDesired) : Number.NaN))
        .filter((n) => !Number.isNaN(n)),
    );
    const lastDesired = Number.isFinite(lastDesiredMs)
      ? new Date(lastDesiredMs).toISOString()
      : image.created;
    const base = { id: image.id, references, size: image.size, managedBy, lastDesired };
    if (!managedBy)
      return {
        ...base,
        verdict: { keep: 'unmanaged', detail: 'not pulled by the runner and no matching label' },
      };
    const user = [image.id, ...references, ...tags, ...digests].find(
      (r) => usedIds.has(r) || usedRefs.has(r),
    );
    if (user !== undefined)
      return { ...base, verdict: { keep: 'in-use', detail: `a container uses ${user}` } };
    const wanted = [...tags, ...digests, ...entries.map(([r]) => normaliseReference(r) ?? r)].find((r) =>
      desired.has(r),
    );
    if (wanted !== undefined)
      return { ...base, verdict: { keep: 'desired', detail: `${wanted} is desired now` } };
    const lastMs = lastDesired ? Date.parse(lastDesired) : Number.NaN;
    const outFor = Number.isNaN(lastMs) ? Number.POSITIVE_INFINITY : now - lastMs;
    const hours = (ms: number): string =>
      Number.isFinite(ms) ? `${Math.round(ms / 360_000) / 10} h` : 'ever';
    if (outFor > input.retentionMs && input.retentionDue) {
      return {
        ...base,
        verdict: {
          remove: 'retention-expired',
          detail: `out of the desired set for ${hours(outFor)} (retention ${hours(input.retentionMs)})`,
        },
      };
    }
    return {
      ...base,
      verdict: {
        keep: 'within-retention',
        detail:
          outFor > input.retentionMs
            ? `expired ${hours(outFor)} ago but the schedule is not due`
            : `out of the desired set for ${hours(outFor)} of ${hours(input.retentionMs)}`,
      },
    };
  });
}

/** Candidates for disk pressure: kept only by retention (or schedule), least recently desired first. */
export function pressureOrder(verdicts: readonly ImageVerdict[]): ImageVerdict[] {
  const time = (v: ImageVerdict): number => (v.lastDesired ? Date.parse(v.lastDesired) || 0 : 0);
  return verdicts
    .filter((v) => 'keep' in v.verdict && v.verdict.keep === 'within-retention')
    .sort((a, b) => time(a) - time(b) || b.size - a.size);
}
