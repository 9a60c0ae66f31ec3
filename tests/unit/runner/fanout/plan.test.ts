import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../../../core/clock.ts';
import { readJobs } from '../../../../runner/fanout/jobs.ts';
import { type PlanInput, planFanout } from '../../../../runner/fanout/plan.ts';
import { nodeJob } from './helpers.ts';

const NOW = new Date('2026-03-01T12:00:00Z');

function input(overrides: Partial<PlanInput> & { rawJobs?: unknown[] }): PlanInput {
  const eligible = overrides.eligible ?? [];
  return {
    eligible,
    present: overrides.present ?? new Set(eligible),
    jobs: overrides.jobs ?? readJobs(overrides.rawJobs ?? []).jobs,
    now: NOW,
    maxConcurrentJobs: overrides.maxConcurrentJobs ?? 10,
    finishedRetentionMs: overrides.finishedRetentionMs ?? 6 * HOUR_MS,
  };
}

describe('planFanout', () => {
  it('gives every eligible node a Job when nothing runs', () => {
    // Act
    const plan = planFanout(input({ eligible: ['a', 'b', 'c'] }));
    // Assess
    expect(plan).toEqual({ create: ['a', 'b', 'c'], skippedActive: [], deferred: [], delete: [], active: 0 });
  });

  it('gives none to a node whose previous Job is still active, but one to a node whose Job finished', () => {
    // Prepare
    const rawJobs = [
      nodeJob('j-a', 'a', { created: '2026-03-01T11:50:00Z' }),
      nodeJob('j-b', 'b', {
        created: '2026-03-01T11:00:00Z',
        finished: { at: '2026-03-01T11:10:00Z', as: 'Complete' },
      }),
      nodeJob('j-c', 'c', {
        created: '2026-03-01T11:00:00Z',
        finished: { at: '2026-03-01T11:10:00Z', as: 'Failed' },
      }),
    ];
    // Act
    const plan = planFanout(input({ eligible: ['a', 'b', 'c'], rawJobs }));
    // Assess
    expect(plan.skippedActive).toEqual(['a']);
    expect(plan.create).toEqual(['b', 'c']);
    expect(plan.active).toBe(1);
  });

  it('keeps active Jobs cluster-wide under the limit; the rest wait, least recently run first', () => {
    // Prepare: 2 active of a limit of 4 leaves 2 slots for 5 candidates
    const rawJobs = [
      nodeJob('j-busy1', 'busy1', { created: '2026-03-01T11:55:00Z' }),
      nodeJob('j-busy2', 'busy2', { created: '2026-03-01T11:55:00Z' }),
      nodeJob('j-old', 'old', {
        created: '2026-03-01T09:00:00Z',
        finished: { at: '2026-03-01T09:05:00Z', as: 'Complete' },
      }),
      nodeJob('j-recent', 'recent', {
        created: '2026-03-01T11:45:00Z',
        finished: { at: '2026-03-01T11:47:00Z', as: 'Complete' },
      }),
    ];
    // Act
    const plan = planFanout(
      input({
        eligible: ['busy1', 'busy2', 'new-b', 'new-a', 'old', 'recent'],
        rawJobs,
        maxConcurrentJobs: 4,
      }),
    );
    // Assess: nodes never run come first (by name), then the one run longest ago
    expect(plan.create).toEqual(['new-a', 'new-b']);
    expect(plan.deferred).toEqual(['old', 'recent']);
    expect(plan.skippedActive).toEqual(['busy1', 'busy2']);
  });

  it('creates nothing when active Jobs already fill the limit', () => {
    // Prepare
    const rawJobs = ['x', 'y'].map((n) => nodeJob(`j-${n}`, n, { created: '2026-03-01T11:55:00Z' }));
    // Act
    const plan = planFanout(input({ eligible: ['a', 'x', 'y'], rawJobs, maxConcurrentJobs: 2 }));
    // Assess
    expect(plan.create).toEqual([]);
    expect(plan.deferred).toEqual(['a']);
  });

  it('deletes finished Jobs past the retention and keeps younger ones', () => {
    // Prepare
    const rawJobs = [
      nodeJob('j-expired', 'a', {
        created: '2026-03-01T04:00:00Z',
        finished: { at: '2026-03-01T05:00:00Z', as: 'Failed' },
      }),
      nodeJob('j-young', 'b', {
        created: '2026-03-01T10:00:00Z',
        finished: { at: '2026-03-01T10:30:00Z', as: 'Complete' },
      }),
    ];
    // Act
    const plan = planFanout(input({ eligible: ['a', 'b'], rawJobs }));
    // Assess
    expect(plan.delete).toEqual([{ name: 'j-expired', node: 'a', reason: 'finished-expired' }]);
    expect(plan.create).toEqual(['a', 'b']);
  });

  it('deletes an active Job past its deadline whose node is gone, freeing its slot', () => {
    // Prepare: deadline 50 min + 5 min grace from 10:00 has passed at 12:00
    const rawJobs = [
      nodeJob('j-ghost', 'gone', { created: '2026-03-01T10:00:00Z', deadlineSeconds: 3000 }),
      nodeJob('j-ghost-young', 'gone-too', { created: '2026-03-01T11:30:00Z', deadlineSeconds: 3000 }),
      nodeJob('j-slow', 'here', { created: '2026-03-01T10:00:00Z', deadlineSeconds: 3000 }),
    ];
    // Act
    const plan = planFanout(
      input({ eligible: ['a', 'b'], present: new Set(['a', 'b', 'here']), rawJobs, maxConcurrentJobs: 3 }),
    );
    // Assess: the young Job and the Job on a node still present are left to the Job controller
    expect(plan.delete).toEqual([{ name: 'j-ghost', node: 'gone', reason: 'node-gone-past-deadline' }]);
    expect(plan.active).toBe(2);
    expect(plan.create).toEqual(['a']);
    expect(plan.deferred).toEqual(['b']);
  });
});
