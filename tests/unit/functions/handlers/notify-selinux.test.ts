// The notify function with the runners' SELinux findings: read from their index before the
// notify step and mailed to the security contact; an unreadable index costs only those.
import { describe, expect, it } from 'vitest';
import { createNotifyHandler } from '../../../../functions/handlers/notify.ts';
import type { SelinuxFindingSource } from '../../../../functions/notify/importSelinuxFindings.ts';
import { asFunction } from './state-grants.ts';
import { RecordingMailer, scheduleEvent, testRuntime } from './support.ts';

const doc = (key: string) => ({
  kind: 'selinux',
  key,
  check: 'volume-drift',
  severity: 'Critical',
  namespace: 'shop',
  node: 'node-1',
  detail: '3 files carry s0:c1,c2 instead of s0:c593,c693',
  lastSeen: '2026-11-24T08:00:00Z',
  '@timestamp': '2026-11-24T08:00:00Z',
});

function setup(source: SelinuxFindingSource) {
  const runtime = testRuntime({
    owners: { securityContact: 'security@example.org' },
    inventory: { elasticsearch: { node: 'https://es.example.org:9200' } },
    notify: { selinuxFindings: { index: 'imagewarden-selinux' } },
  });
  const mailer = new RecordingMailer();
  const handler = createNotifyHandler({
    runtime: () => asFunction('notify', runtime),
    mailer: async () => mailer,
    selinux: async () => source,
    sleep: async () => {},
  });
  return { runtime, mailer, handler };
}

describe('notify handler with SELinux findings', () => {
  it("mails the runners' SELinux findings to the security contact", async () => {
    // Prepare
    const { mailer, handler } = setup({
      recent: async () => ({ documents: [doc('selinux|shop|volume-drift')], complete: true }),
    });

    // Act
    const summary = await handler(scheduleEvent('notify'));

    // Assess
    expect(summary.selinux).toEqual({ read: 1, stored: 1, removed: 0 });
    expect(summary.sent).toBe(1);
    expect(mailer.sent.map((m) => m.to)).toEqual(['security@example.org']);
    expect(mailer.sent[0]?.text).toContain('shop');
  });

  it('still runs the notify step when the index cannot be read', async () => {
    // Prepare
    const { handler } = setup({
      recent: async () => {
        throw new Error('es.example.org: 503 after retries');
      },
    });

    // Act
    const summary = await handler(scheduleEvent('notify'));

    // Assess
    expect(summary.selinux).toBe('unread');
    expect(summary).toMatchObject({ sent: 0, pending: 0, refused: 0 });
  });
});
