import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/errors.ts';
import { pruneDue } from '../../../../runner/prune/schedule.ts';

describe('pruneDue', () => {
  it('is due when a scheduled time passed since the last prune', () => {
    const got = pruneDue(
      '0 3 * * *',
      'UTC',
      { at: '2026-03-01T03:05:00Z', removed: 0, reclaimedBytes: 0 },
      new Date('2026-03-02T04:00:00Z'),
    );
    expect(got.due).toBe(true);
    expect(got.scheduledAt).toBe('2026-03-02T03:00:00.000Z');
  });

  it('is not due again later the same day', () => {
    const got = pruneDue(
      '0 3 * * *',
      'UTC',
      { at: '2026-03-02T03:10:00Z', removed: 2, reclaimedBytes: 10 },
      new Date('2026-03-02T23:00:00Z'),
    );
    expect(got.due).toBe(false);
  });

  it('is due in a pass at exactly the scheduled minute', () => {
    const got = pruneDue(
      '0 3 * * *',
      'UTC',
      { at: '2026-03-01T03:00:00Z', removed: 0, reclaimedBytes: 0 },
      new Date('2026-03-02T03:00:00Z'),
    );
    expect(got.due).toBe(true);
  });

  it('reads the schedule in the configured time zone', () => {
    // 03:00 in Oslo (UTC+1 in winter) is 02:00 UTC: at 02:30 UTC it has passed.
    const last = { at: '2026-01-14T03:00:00Z', removed: 0, reclaimedBytes: 0 };
    expect(pruneDue('0 3 * * *', 'Europe/Oslo', last, new Date('2026-01-15T02:30:00Z')).due).toBe(true);
    expect(pruneDue('0 3 * * *', 'UTC', last, new Date('2026-01-15T02:30:00Z')).due).toBe(false);
  });

  it('is due on a fresh node or when the recorded prune is unreadable', () => {
    expect(pruneDue('0 3 * * *', 'UTC', undefined, new Date('2026-03-02T01:00:00Z')).due).toBe(true);
    expect(pruneDue('0 3 * * *', 'UTC', { at: 7 }, new Date('2026-03-02T01:00:00Z')).due).toBe(true);
  });

  it('names the config key for a bad expression', () => {
    expect(() => pruneDue('61 * * * *', 'UTC', undefined, new Date())).toThrow(ConfigError);
    expect(() => pruneDue('61 * * * *', 'UTC', undefined, new Date())).toThrow(/runner\.prune\.schedule/);
  });
});
