// OpenShift's namespace security allocation, recomputed: which MCS level a namespace's
// `openshift.io/sa.scc.uid-range` block implies. Used to spot namespaces whose
// `openshift.io/sa.scc.mcs` annotation was edited or copied from another namespace.
import { McsError, type MlsLevel } from './mcs.ts';

export interface AllocationSettings {
  /** First uid of the range OpenShift allocates from. */
  readonly uidBase: number;
  /** Size of each namespace's uid block. */
  readonly blockSize: number;
  /** Number of blocks in the range. */
  readonly blocks: number;
  /** OpenShift's "labels per project": the block's level is the (block * this)-th pair. */
  readonly labelsPerProject: number;
}

export const OPENSHIFT_DEFAULTS: AllocationSettings = {
  uidBase: 1_000_000_000,
  blockSize: 10_000,
  blocks: 100_000,
  labelsPerProject: 5,
};

/** Parses `1000660000/10000` into its start and size. */
export function parseUidRange(
  value: string,
  source = 'openshift.io/sa.scc.uid-range',
): { start: number; size: number } {
  const match = /^(\d{1,10})\/(\d{1,10})$/.exec(value.trim());
  if (!match)
    throw new McsError(source, `expected START/SIZE such as 1000660000/10000, got ${JSON.stringify(value)}`);
  return { start: Number(match[1]), size: Number(match[2]) };
}

/** The block index of a uid range, or throws when the range is not one of the allocator's blocks. */
export function blockOfUidRange(
  range: { start: number; size: number },
  settings: AllocationSettings = OPENSHIFT_DEFAULTS,
  source = 'openshift.io/sa.scc.uid-range',
): number {
  const offset = range.start - settings.uidBase;
  if (range.size !== settings.blockSize || offset < 0 || offset % settings.blockSize !== 0) {
    throw new McsError(
      source,
      `${range.start}/${range.size} is not a block of ${settings.uidBase}+n*${settings.blockSize}`,
    );
  }
  const block = offset / settings.blockSize;
  if (block >= settings.blocks)
    throw new McsError(source, `block ${block} is past the last block ${settings.blocks - 1}`);
  return block;
}

/**
 * Co-lexicographic unranking of `index` into a 2-subset {x < y} of c0..c1023: pairs are
 * ordered by y, then x, so index = y(y-1)/2 + x.
 */
export function unrankPair(index: number): [number, number] {
  let y = Math.floor((1 + Math.sqrt(1 + 8 * index)) / 2);
  while ((y * (y - 1)) / 2 > index) y--;
  while (((y + 1) * y) / 2 <= index) y++;
  const x = index - (y * (y - 1)) / 2;
  return [x, y];
}

/** The level OpenShift allocates to a block, e.g. block 66 -> s0:c26,c5 (as a set). */
export function levelOfBlock(block: number, settings: AllocationSettings = OPENSHIFT_DEFAULTS): MlsLevel {
  const [x, y] = unrankPair(block * settings.labelsPerProject);
  return { sensitivity: 0, categories: new Set([x, y]) };
}

/** Formats as OpenShift writes it: larger category first (`s0:c26,c5`). */
export function formatOpenshiftLevel(level: MlsLevel): string {
  const sorted = [...level.categories].sort((a, b) => b - a);
  return sorted.length > 0
    ? `s${level.sensitivity}:${sorted.map((c) => `c${c}`).join(',')}`
    : `s${level.sensitivity}`;
}
