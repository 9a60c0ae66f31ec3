import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SeedResult } from '../../../runner/seed.ts';
import { loadNodeState, recordSeed, saveNodeState, statePath } from '../../../runner/state.ts';

function seed(images: SeedResult['images']): SeedResult {
  return {
    images,
    counts: {
      desired: images.length,
      present: 0,
      pulled: 0,
      planned: 0,
      failed: 0,
      skipped: { 'registry-unreachable': 0, 'low-disk': 0, aborted: 0 },
    },
    bytes: 0,
    unreachableRegistries: [],
    lowDisk: undefined,
  };
}

describe('node state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the first-desired time, moves the last-desired time and records pull results', async () => {
    // Prepare
    const first = recordSeed(
      (await loadNodeState(dir)).state,
      'n1',
      seed([{ reference: 'r/a:1', outcome: 'pulled', digest: 'sha256:1' }]),
      new Date('2026-01-01T00:00:00Z'),
    );
    await saveNodeState(dir, { ...first, lastPrune: { at: '2026-01-01T03:00:00Z' } });

    // Act
    const { state } = await loadNodeState(dir);
    const second = recordSeed(
      state,
      'n1',
      seed([
        { reference: 'r/a:1', outcome: 'present', digest: 'sha256:1' },
        { reference: 'r/b:1', outcome: 'failed', error: 'unauthorized' },
      ]),
      new Date('2026-01-01T01:00:00Z'),
    );

    // Assess
    expect(second.images['r/a:1']).toEqual({
      firstDesired: '2026-01-01T00:00:00.000Z',
      lastDesired: '2026-01-01T01:00:00.000Z',
      managed: true,
      digest: 'sha256:1',
      lastPull: { at: '2026-01-01T00:00:00.000Z', result: 'pulled' },
    });
    expect(second.images['r/b:1']?.lastPull).toEqual({
      at: '2026-01-01T01:00:00.000Z',
      result: 'failed',
      error: 'unauthorized',
    });
    expect(second.lastPrune).toEqual({ at: '2026-01-01T03:00:00Z' });
  });

  it('starts afresh on a corrupt file and says so', async () => {
    await writeFile(statePath(dir), '{"images": {');
    const { state, problem } = await loadNodeState(dir);
    expect(state.images).toEqual({});
    expect(problem).toContain('is not valid node state');
  });

  it('writes the file atomically as readable JSON', async () => {
    await saveNodeState(dir, recordSeed((await loadNodeState(dir)).state, 'n1', seed([]), new Date(0)));
    expect(JSON.parse(await readFile(statePath(dir), 'utf8'))).toMatchObject({
      version: 1,
      node: 'n1',
      images: {},
    });
  });
});
