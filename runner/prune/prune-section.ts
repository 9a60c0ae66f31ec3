// The prune step of a node pass as a report section, plus the node-state update it implies
// (`lastPrune`). The section is not ok when a removal failed or disk pressure stayed above
// the low watermark.
import type { ReportSection } from '../report.ts';
import type { NodeState } from '../state.ts';
import { type PruneOptions, type PrunePorts, type PruneResult, pruneImages } from './prune.ts';

export async function pruneSection(
  ports: PrunePorts,
  options: Omit<PruneOptions, 'stateImages' | 'lastPrune'> & { state: NodeState },
): Promise<{ section: ReportSection; result: PruneResult; state: NodeState }> {
  const { state, ...rest } = options;
  const result = await pruneImages(ports, { ...rest, stateImages: state.images, lastPrune: state.lastPrune });
  const nextState = result.lastPrune ? { ...state, lastPrune: result.lastPrune } : state;
  const section: ReportSection = {
    ok: result.failed.length === 0 && result.watermarkUnreached === undefined,
    summary: {
      removed: result.removed.length,
      wouldRemove: result.wouldRemove.length,
      reclaimedBytes: result.reclaimedBytes,
      freedBytes: result.freedBytes,
      failed: result.failed.length,
      refused: result.refused.length,
      retentionRan: result.retentionRan,
      watermarkRan: result.watermarkRan,
      diskBefore: result.diskBefore,
      diskAfter: result.diskAfter,
    },
    details: result,
  };
  return { section, result, state: nextState };
}
