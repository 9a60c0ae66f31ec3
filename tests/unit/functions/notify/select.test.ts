import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../../../core/clock.ts';
import type { Ack } from '../../../../functions/acks/Ack.ts';
import { planNotifications } from '../../../../functions/notify/select.ts';
import { type NotifiedRecord, notifiedKey } from '../../../../functions/notify/types.ts';
import { policy, selinux, vuln } from './fixtures.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const options = { now: NOW, reminderIntervalMs: 7 * DAY_MS, securityContact: 'security@example.org' };

function sentBefore(ms: number, over: Partial<NotifiedRecord> = {}): NotifiedRecord {
  return { sentAt: new Date(NOW.getTime() - ms).toISOString(), severity: 'High', fixable: true, ...over };
}

describe('planNotifications', () => {
  it('groups findings per recipient and routes SELinux findings to the security contact', () => {
    // Prepare
    const findings = [
      vuln(),
      vuln({ vulnerability: 'CVE-2024-0002' }),
      policy({ owner: 'bob@example.org' }),
      selinux(),
    ];
    // Act
    const plan = planNotifications(findings, new Map(), [], options);
    // Assess
    expect(plan.recipients.map((r) => [r.recipient, r.items.length])).toEqual([
      ['alice@example.org', 2],
      ['bob@example.org', 1],
      ['security@example.org', 1],
    ]);
    expect(plan.counts.byReason.new).toBe(4);
  });

  it('plans nothing when nothing changed since the last message', () => {
    const finding = vuln();
    const notified = new Map([[notifiedKey(finding.key, 'alice@example.org'), sentBefore(HOUR_MS)]]);

    const plan = planNotifications([finding], notified, [], options);

    expect(plan.recipients).toEqual([]);
    expect(plan.counts.unchanged).toBe(1);
  });

  it('sends again when a finding becomes fixable or its severity rises', () => {
    const fixable = vuln({ vulnerability: 'CVE-1' });
    const escalated = vuln({ vulnerability: 'CVE-2', severity: 'Critical' });
    const notified = new Map([
      [notifiedKey(fixable.key, 'alice@example.org'), sentBefore(HOUR_MS, { fixable: false })],
      [notifiedKey(escalated.key, 'alice@example.org'), sentBefore(HOUR_MS, { severity: 'High' })],
    ]);

    const plan = planNotifications([fixable, escalated], notified, [], options);

    expect(
      plan.recipients[0]?.items.map((i) => [
        i.finding.kind === 'vulnerability' && i.finding.vulnerability,
        i.reason,
      ]),
    ).toEqual([
      ['CVE-1', 'fixable'],
      ['CVE-2', 'escalated'],
    ]);
  });

  it('does not resend when severity drops', () => {
    const finding = vuln({ severity: 'Medium' });
    const notified = new Map([
      [notifiedKey(finding.key, 'alice@example.org'), sentBefore(HOUR_MS, { severity: 'High' })],
    ]);

    expect(planNotifications([finding], notified, [], options).recipients).toEqual([]);
  });

  it('reminds about still-open findings once the reminder interval has passed, not before', () => {
    const finding = vuln();
    const key = notifiedKey(finding.key, 'alice@example.org');

    const early = planNotifications([finding], new Map([[key, sentBefore(7 * DAY_MS - 1)]]), [], options);
    const due = planNotifications([finding], new Map([[key, sentBefore(7 * DAY_MS)]]), [], options);

    expect(early.recipients).toEqual([]);
    expect(due.recipients[0]?.items[0]?.reason).toBe('reminder');
  });

  it('leaves acknowledged findings out, and tells again when the ack expired after the last message', () => {
    const finding = vuln();
    const ack: Ack = {
      id: 'cli-1',
      scope: { repository: finding.repository, vulnerability: finding.vulnerability },
      reason: 'not reachable',
      author: 'alice',
      source: 'cli',
      createdAt: '2026-03-01T00:00:00Z',
      expiresAt: '2026-03-20T00:00:00Z',
    };
    const notified = new Map([[notifiedKey(finding.key, 'alice@example.org'), sentBefore(2 * DAY_MS)]]);

    const acked = planNotifications([finding], new Map(), [ack], options);
    const expired = planNotifications(
      [finding],
      notified,
      [{ ...ack, expiresAt: '2026-03-10T00:00:00Z' }],
      options,
    );

    expect(acked.recipients).toEqual([]);
    expect(acked.counts.acknowledged).toBe(1);
    expect(expired.recipients[0]?.items[0]?.reason).toBe('ack-expired');
  });

  it('alerts again when a fix appears for a finding acknowledged while it had none', () => {
    const unfixed = vuln({ fixedIn: undefined });
    const ack: Ack = {
      id: 'link-x',
      scope: { repository: unfixed.repository, vulnerability: unfixed.vulnerability, package: 'openssl' },
      reason: 'no fix yet',
      author: 'alice@example.org',
      source: 'link',
      createdAt: '2026-03-01T00:00:00Z',
      expiresAt: '2026-05-01T00:00:00Z',
      fixAvailable: false,
    };
    const notified = new Map([
      [notifiedKey(unfixed.key, 'alice@example.org'), sentBefore(3 * DAY_MS, { fixable: false })],
    ]);

    const stillUnfixed = planNotifications([unfixed], notified, [ack], options);
    const nowFixed = planNotifications([vuln()], notified, [ack], options);

    expect(stillUnfixed.recipients).toEqual([]);
    expect(nowFixed.recipients[0]?.items[0]?.reason).toBe('fixable');
  });

  it('skips findings already carried by a pending message, so they are not sent twice', () => {
    const finding = vuln();

    const plan = planNotifications([finding], new Map(), [], {
      ...options,
      pendingKeys: new Set([notifiedKey(finding.key, 'alice@example.org')]),
    });

    expect(plan.recipients).toEqual([]);
    expect(plan.counts.pending).toBe(1);
  });
});
