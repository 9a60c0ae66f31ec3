import { describe, expect, it } from 'vitest';
import { addSection, finishReport, newReport, summaryFields } from '../../../runner/report.ts';
import type { SeedResult } from '../../../runner/seed.ts';

const seed = (failed: number, skipped: Partial<SeedResult['counts']['skipped']> = {}): SeedResult => ({
  images: [],
  counts: {
    desired: 3,
    present: 2,
    pulled: 1 - failed,
    planned: 0,
    failed,
    skipped: { 'registry-unreachable': 0, 'low-disk': 0, aborted: 0, ...skipped },
  },
  bytes: 42,
  unreachableRegistries: [],
  lowDisk: undefined,
});

describe('run report', () => {
  it('exits 0 when only an unreachable registry was skipped, 1 on failures or low disk', () => {
    const at = new Date('2026-03-01T10:00:00Z');
    const ok = newReport('n1', at, false);
    ok.seed = seed(0, { 'registry-unreachable': 2 });
    expect(finishReport(ok, at).exitCode).toBe(0);
    const failed = newReport('n1', at, false);
    failed.seed = seed(1);
    expect(finishReport(failed, at).exitCode).toBe(1);
    const lowDisk = newReport('n1', at, false);
    lowDisk.seed = seed(0, { 'low-disk': 1 });
    expect(finishReport(lowDisk, at).exitCode).toBe(1);
  });

  it('lets later steps add sections that show in the summary line and the exit status', () => {
    // Prepare
    const report = newReport('n1', new Date('2026-03-01T10:00:00Z'), false);
    report.seed = seed(0);

    // Act
    addSection(report, 'prune', { ok: false, summary: { removed: 3, failed: 1 } });
    finishReport(report, new Date('2026-03-01T10:00:02.5Z'));

    // Assess
    expect(report.exitCode).toBe(1);
    expect(summaryFields(report)).toMatchObject({
      desired: 3,
      present: 2,
      pulled: 1,
      bytes: 42,
      seconds: 2.5,
      'prune.removed': 3,
      'prune.failed': 1,
      exitCode: 1,
    });
  });
});
