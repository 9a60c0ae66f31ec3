// The prune step: removes managed images that left the desired set longer ago than the
// retention (when the cron schedule is due), and, in any pass where the image store's file
// system is above the high watermark, managed unused images least-recently-desired first
// until it is below the low watermark. Never forced: an image a container uses stays, and a
// remove the daemon refuses is counted, not fatal. Dry-run says what would go and why.
import type { Clock } from '../../core/clock.ts';
import type { RunnerPruneSection } from '../../core/config/sections/runner-prune.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { ImageInUseError } from '../runtime/errors.ts';
import type { ImageRuntime, LocalImage } from '../runtime/ImageRuntime.ts';
import type { ImageState } from '../state.ts';
import { type ImageVerdict, type KeepReason, planPrune, pressureOrder, type RemoveReason } from './plan.ts';
import { type LastPrune, pruneDue, type ScheduleDecision } from './schedule.ts';

type PruneConfig = Pick<
  import('zod').infer<typeof RunnerPruneSection>,
  'enabled' | 'schedule' | 'timeZone' | 'retention' | 'highWatermark' | 'lowWatermark' | 'labelSelector'
>;

export interface PrunePorts {
  runtime: Pick<
    ImageRuntime,
    'listImages' | 'listContainers' | 'removeImage' | 'inspectImage' | 'imageStoreSpace'
  >;
  logger: Logger;
  clock: Clock;
}

export interface PruneOptions {
  config: PruneConfig;
  stateImages: Readonly<Record<string, ImageState>>;
  lastPrune: unknown;
  /** References desired in this pass. */
  desiredNow: readonly string[];
  dryRun: boolean;
}

export interface PrunedImage {
  id: string;
  references: string[];
  size: number;
  reason: RemoveReason;
  detail: string;
}

export interface PruneResult {
  schedule: ScheduleDecision;
  retentionRan: boolean;
  watermarkRan: boolean;
  /** Used percentage of the image store's file system before and after. */
  diskBefore: number;
  diskAfter: number;
  removed: PrunedImage[];
  /** Dry-run: what would go. */
  wouldRemove: PrunedImage[];
  refused: { id: string; reason: string }[];
  failed: { id: string; error: string }[];
  kept: Record<KeepReason, number>;
  /** Sum of the removed images' sizes (shared layers make the real figure smaller) ... */
  reclaimedBytes: number;
  /** ... and what the file system says it gained. */
  freedBytes: number;
  /** Set when disk pressure could not be brought under the low watermark. */
  watermarkUnreached?: string;
  /** To store as `lastPrune` in node state (undefined in dry-run or when retention did not run). */
  lastPrune?: LastPrune;
}

async function usage(runtime: PrunePorts['runtime']): Promise<{ percent: number; free: number }> {
  const space = await runtime.imageStoreSpace();
  const percent = space.totalBytes > 0 ? ((space.totalBytes - space.freeBytes) / space.totalBytes) * 100 : 0;
  return { percent: Math.round(percent * 100) / 100, free: space.freeBytes };
}

/**
 * Removes one image by id; an image with several tags is untagged reference by reference
 * (Docker refuses an id that several repositories reference unless forced, which we never do).
 */
async function removeImage(runtime: PrunePorts['runtime'], image: ImageVerdict): Promise<void> {
  try {
    await runtime.removeImage(image.id);
    return;
  } catch (error) {
    if (!(error instanceof ImageInUseError) || !/multiple repositories/i.test(error.message)) throw error;
  }
  for (const reference of image.references) {
    if (await runtime.inspectImage(image.id)) await runtime.removeImage(reference);
  }
}

export async function pruneImages(ports: PrunePorts, options: PruneOptions): Promise<PruneResult> {
  const { runtime, logger, clock } = ports;
  const { config, dryRun } = options;
  const now = clock.now();
  const schedule = pruneDue(config.schedule, config.timeZone, options.lastPrune, now);
  const [images, containers, before] = await Promise.all([
    runtime.listImages(),
    runtime.listContainers(),
    usage(runtime),
  ]);
  const verdicts = planPrune({
    images,
    containers,
    stateImages: options.stateImages,
    desiredNow: options.desiredNow,
    now,
    retentionMs: config.retention,
    labelSelector: config.labelSelector,
    retentionDue: schedule.due,
  });
  const result: PruneResult = {
    schedule,
    retentionRan: schedule.due,
    watermarkRan: before.percent > config.highWatermark,
    diskBefore: before.percent,
    diskAfter: before.percent,
    removed: [],
    wouldRemove: [],
    refused: [],
    failed: [],
    kept: { unmanaged: 0, 'in-use': 0, desired: 0, 'within-retention': 0 },
    reclaimedBytes: 0,
    freedBytes: 0,
  };
  const sizeOf = new Map<string, LocalImage>(images.map((i) => [i.id, i]));
  let estimatedPercent = before.percent;
  const totalBytes = (await runtime.imageStoreSpace()).totalBytes;

  const take = async (verdict: ImageVerdict, reason: RemoveReason, detail: string): Promise<boolean> => {
    const entry: PrunedImage = {
      id: verdict.id,
      references: verdict.references,
      size: verdict.size,
      reason,
      detail,
    };
    if (dryRun) {
      result.wouldRemove.push(entry);
      estimatedPercent -= totalBytes > 0 ? (verdict.size / totalBytes) * 100 : 0;
      return true;
    }
    try {
      await removeImage(runtime, verdict);
      result.removed.push(entry);
      result.reclaimedBytes += sizeOf.get(verdict.id)?.size ?? verdict.size;
      logger.info({ image: verdict.id, references: verdict.references, reason, detail }, 'image pruned');
      return true;
    } catch (error) {
      if (error instanceof ImageInUseError) {
        result.refused.push({ id: verdict.id, reason: errorMessage(error) });
        logger.warn({ image: verdict.id, err: errorMessage(error) }, 'prune refused by the daemon');
      } else {
        result.failed.push({ id: verdict.id, error: errorMessage(error) });
        logger.error({ image: verdict.id, err: errorMessage(error) }, 'prune failed');
      }
      return false;
    }
  };

  for (const verdict of verdicts) {
    if ('remove' in verdict.verdict) await take(verdict, verdict.verdict.remove, verdict.verdict.detail);
    else result.kept[verdict.verdict.keep]++;
  }

  let current = dryRun ? estimatedPercent : (await usage(runtime)).percent;
  if (current > config.highWatermark || (result.watermarkRan && current >= config.lowWatermark)) {
    result.watermarkRan = true;
    for (const verdict of pressureOrder(verdicts)) {
      if (current < config.lowWatermark) break;
      const detail = `disk ${current.toFixed(1)} % above the watermarks (high ${config.highWatermark} %, low ${config.lowWatermark} %); last desired ${verdict.lastDesired ?? 'never'}`;
      if (await take(verdict, 'disk-pressure', detail)) {
        result.kept['within-retention']--;
        current = dryRun ? estimatedPercent : (await usage(runtime)).percent;
      }
    }
    if (current >= config.lowWatermark) {
      result.watermarkUnreached = `disk still ${current.toFixed(1)} % used (low watermark ${config.lowWatermark} %): no more managed unused images to remove`;
      logger.warn(
        { diskPercent: current, low: config.lowWatermark },
        'prune could not get below the low watermark',
      );
    }
  }
  const after = dryRun ? { percent: current, free: before.free } : await usage(runtime);
  result.diskAfter = dryRun ? Math.round(current * 100) / 100 : after.percent;
  result.freedBytes = Math.max(0, after.free - before.free);
  if (!dryRun && schedule.due) {
    result.lastPrune = {
      at: now.toISOString(),
      removed: result.removed.length,
      reclaimedBytes: result.reclaimedBytes,
    };
  }
  return result;
}
