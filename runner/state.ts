// Node-local state (`<stateDir>/node-state.json`), written atomically: per image the first and
// last time it was desired and its last pull, plus `lastPrune` for the prune step. The
// schema is loose on purpose: other steps add their own fields and an older runner keeps
// them. A missing file is a fresh node; an unreadable one is reported and started afresh.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-file.ts';
import { errorMessage } from '../core/errors.ts';
import type { SeedResult } from './seed.ts';

export const STATE_FILE = 'node-state.json';

export const ImageState = z.looseObject({
  firstDesired: z.string().optional(),
  lastDesired: z.string().optional(),
  /** Set once the runner itself pulled this image: the prune step only removes managed images. */
  managed: z.boolean().optional(),
  digest: z.string().optional(),
  lastPull: z
    .looseObject({
      at: z.string(),
      result: z.enum(['pulled', 'failed']),
      error: z.string().optional(),
    })
    .optional(),
});
export type ImageState = z.infer<typeof ImageState>;

export const NodeState = z.looseObject({
  version: z.literal(1).default(1),
  node: z.string().optional(),
  lastRun: z.string().optional(),
  images: z.record(z.string(), ImageState).default({}),
  /** Written by the prune step; its shape is the prune step's own. */
  lastPrune: z.unknown().optional(),
});
export type NodeState = z.infer<typeof NodeState>;

export function statePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

export async function loadNodeState(
  stateDir: string,
): Promise<{ state: NodeState; problem: string | undefined }> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { state: NodeState.parse({}), problem: undefined };
    return {
      state: NodeState.parse({}),
      problem: `cannot read ${statePath(stateDir)}: ${errorMessage(error)}`,
    };
  }
  try {
    return { state: NodeState.parse(JSON.parse(text)), problem: undefined };
  } catch (error) {
    return {
      state: NodeState.parse({}),
      problem: `${statePath(stateDir)} is not valid node state (${errorMessage(error).slice(0, 200)}); starting afresh`,
    };
  }
}

export async function saveNodeState(stateDir: string, state: NodeState): Promise<void> {
  await writeFileAtomic(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

/** Records this pass: every desired image's last-desired time and each pull's result. */
export function recordSeed(state: NodeState, nodeName: string, seed: SeedResult, at: Date): NodeState {
  const now = at.toISOString();
  const images: Record<string, ImageState> = { ...state.images };
  for (const result of seed.images) {
    const previous = images[result.reference] ?? {};
    const next: ImageState = { ...previous, firstDesired: previous.firstDesired ?? now, lastDesired: now };
    if (result.digest && (result.outcome === 'present' || result.outcome === 'pulled'))
      next.digest = result.digest;
    if (result.outcome === 'pulled') {
      next.managed = true;
      next.lastPull = { at: now, result: 'pulled' };
    } else if (result.outcome === 'failed') {
      next.lastPull = { at: now, result: 'failed', ...(result.error ? { error: result.error } : {}) };
    }
    images[result.reference] = next;
  }
  return { ...state, version: 1, node: nodeName, lastRun: now, images };
}
