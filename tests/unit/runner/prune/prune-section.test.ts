import { describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { formatPrune } from '../../../../runner/prune/format.ts';
import { pruneSection } from '../../../../runner/prune/prune-section.ts';
import type { LocalImage } from '../../../../runner/runtime/ImageRuntime.ts';
import type { NodeState } from '../../../../runner/state.ts';
import { PRUNE_CONFIG } from '../../../support/prune-options.ts';

const clock = new ManualClock('2026-03-10T12:00:00Z');
const image: LocalImage = {
  id: `sha256:${'a'.repeat(64)}`,
  repoTags: ['r.io/a:1'],
  repoDigests: [],
  labels: {},
  size: 2 * 1024 ** 3,
  created: undefined,
};

function runtime(images: LocalImage[]) {
  let list = images;
  return {
    listImages: async () => list,
    listContainers: async () => [],
    inspectImage: async () => undefined,
    removeImage: async (ref: string) => {
      list = list.filter((i) => i.id !== ref);
    },
    imageStoreSpace: async () => ({ freeBytes: 60, totalBytes: 100 }),
  };
}
const config = PRUNE_CONFIG;
const state: NodeState = {
  version: 1,
  images: {
    'r.io/a:1': { managed: true, lastDesired: new Date(clock.now().getTime() - 100 * HOUR_MS).toISOString() },
  },
};

describe('pruneSection', () => {
  it('records lastPrune in the state after a due prune and sums up the section', async () => {
    // Act
    const out = await pruneSection(
      { runtime: runtime([image]), logger: silentLogger(), clock },
      { config, state, desiredNow: [], dryRun: false },
    );
    // Assess
    expect(out.section.ok).toBe(true);
    expect(out.section.summary).toMatchObject({
      removed: 1,
      reclaimedBytes: 2 * 1024 ** 3,
      retentionRan: true,
    });
    expect(out.state.lastPrune).toEqual({
      at: '2026-03-10T12:00:00.000Z',
      removed: 1,
      reclaimedBytes: 2 * 1024 ** 3,
    });
    expect(out.state.images).toBe(state.images);
  });

  it('leaves the state alone in a dry run and prints what would go and why', async () => {
    const out = await pruneSection(
      { runtime: runtime([image]), logger: silentLogger(), clock },
      { config, state, desiredNow: [], dryRun: true },
    );
    expect(out.state).toBe(state);
    expect(formatPrune(out.result)).toMatch(
      /^PRUNE {2}r\.io\/a:1 {2}\(retention-expired: out of the desired set for 100 h \(retention 72 h\); 2\.00 GiB\)\n/,
    );
  });
});
