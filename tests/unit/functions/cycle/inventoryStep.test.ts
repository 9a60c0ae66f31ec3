import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import { inventoryStep } from '../../../../functions/cycle/inventoryStep.ts';
import { offlineImageMetadata } from '../../../../functions/inventory/ImageMetadata.ts';
import type { InventorySource } from '../../../../functions/inventory/InventorySource.ts';
import { loadInventory } from '../../../../functions/inventory/inventoryStore.ts';
import { POLICY_COLLECTION } from '../../../../functions/policy/policyStore.ts';

const D = `sha256:${'d'.repeat(64)}`;

function source(images: (string | null)[]): InventorySource {
  return {
    description: 'test',
    window: async (q) => ({ from: new Date((q.asOf as Date).getTime() - q.lookbackMs), to: q.asOf as Date }),
    async *pages() {
      yield {
        buckets: images.map((image) => ({
          image,
          digest: D,
          tags: [],
          documents: 1,
          hostCount: 1,
          sampleHosts: ['h1'],
          containers: 1,
          labels: [],
        })),
      };
    },
    skipped: () => ({ count: 0, sample: [] }),
  };
}

const options = {
  lookbackMs: 3_600_000,
  asOf: new Date('2026-11-24T12:00:00Z'),
  labelKeys: ['owner'],
  securityContact: 'security@example.org',
  concurrency: 2,
  policy: { approvedRegistries: ['harbor.example.org'], maxAgeDays: 30 },
};

describe('inventoryStep', () => {
  it('stores the snapshot and findings when given a store, and is not degraded by clean input', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'iw-step-'));
    try {
      const store = new FileStateStore(dir);
      // Act
      const result = await inventoryStep(
        {
          source: source(['quay.io/x/y:1']),
          metadata: offlineImageMetadata,
          hostOwners: [],
          clock: new ManualClock(),
          store,
        },
        options,
      );
      // Assess
      expect(result.degraded).toBe(false);
      expect(result.stored).toEqual({ findingsWritten: 2, findingsCleared: 0, findingsRetired: 0 });
      expect((await loadInventory(store))?.items.map((i) => i.repository)).toEqual(['quay.io/x/y']);
      expect((await store.list(POLICY_COLLECTION)).map((r) => r.key)).toEqual([
        'policy|quay.io/x/y|no-owner',
        'policy|quay.io/x/y|unapproved-registry',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores nothing without a store and reports a degraded run for an invalid image string', async () => {
    // Act
    const result = await inventoryStep(
      {
        source: source(['harbor.example.org/a:1', 'NOT VALID']),
        metadata: offlineImageMetadata,
        hostOwners: [],
        clock: new ManualClock(),
      },
      options,
    );
    // Assess
    expect(result.stored).toBeUndefined();
    expect(result.degraded).toBe(true);
    expect(result.inventory.counts.invalid).toBe(1);
    expect(result.policy.findings.map((f) => f.rule)).toEqual(['no-owner']);
  });
});
