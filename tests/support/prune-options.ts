// The prune settings the prune tests share: the base config's schedule and
// watermarks, a 72-hour retention, and no image of the node's desired set.
import { HOUR_MS } from '../../core/clock.ts';
import type { PruneOptions } from '../../runner/prune/prune.ts';
import type { ImageState } from '../../runner/state.ts';

/** The base config's prune section (runner.prune), with a 72-hour retention. */
export const PRUNE_CONFIG: PruneOptions['config'] = {
  enabled: true,
  schedule: '0 3 * * *',
  timeZone: 'UTC',
  retention: 72 * HOUR_MS,
  highWatermark: 85,
  lowWatermark: 75,
  labelSelector: undefined,
};

export function pruneOptions(
  stateImages: Record<string, ImageState>,
  overrides: Partial<PruneOptions> & { labelSelector?: string } = {},
): PruneOptions {
  const { labelSelector, ...rest } = overrides;
  return {
    config: { ...PRUNE_CONFIG, labelSelector },
    stateImages,
    lastPrune: undefined,
    desiredNow: [],
    dryRun: false,
    ...rest,
  };
}
