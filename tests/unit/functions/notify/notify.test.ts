import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { silentLogger } from '../../../../core/logger.ts';
import type { StateStore } from '../../../../core/state/StateStore.ts';
import { DeliveryError } from '../../../../functions/notify/Mailer.ts';
import { type NotifyOptions, notify } from '../../../../functions/notify/notify.ts';
import { listOutbox } from '../../../../functions/notify/outbox.ts';
import {
  NOTIFIED_COLLECTION,
  OUTBOX_COLLECTION,
  type OutboxRecord,
} from '../../../../functions/notify/types.ts';
import { RecordingMailer, storeFindings, tempStore, vuln } from './fixtures.ts';

const OPTIONS: NotifyOptions = {
  runId: 'run-1',
  from: 'imagewarden@example.org',
  securityContact: 'security@example.org',
  reminderIntervalMs: 7 * DAY_MS,
  sendRate: 5,
};

function setup() {
  const { store } = tempStore();
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  const mailer = new RecordingMailer();
  const slept: number[] = [];
  const ports = {
    store,
    mailer,
    clock,
    logger: silentLogger(),
    sleep: async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
    },
  };
  return { store, clock, mailer, ports, slept };
}

const owners = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}@example.org`);

async function fleet(store: StateStore) {
  await storeFindings(
    store,
    owners.flatMap((owner) => [
      vuln({ owner, repository: `harbor.example.org/${owner[0]}/app` }),
      vuln({ owner, repository: `harbor.example.org/${owner[0]}/app`, vulnerability: 'CVE-2024-0002' }),
    ]),
  );
}

describe('notify', () => {
  it('sends one message per recipient, paced at the send rate, then nothing on an unchanged re-run', async () => {
    // Prepare
    const { store, mailer, ports, slept, clock } = setup();
    await fleet(store);
    // Act
    const first = await notify(ports, OPTIONS);
    clock.advance(HOUR_MS);
    const second = await notify(ports, { ...OPTIONS, runId: 'run-2' });
    // Assess
    expect(first.sent).toBe(5);
    expect(mailer.sent.map((m) => m.to).sort()).toEqual(owners);
    expect(mailer.sent.every((m) => m.findings.length === 2)).toBe(true);
    expect(slept).toEqual([200, 200, 200, 200]);
    expect(second).toMatchObject({ composed: 0, sent: 0, pending: 0 });
    expect(mailer.sent).toHaveLength(5);
    const outbox = await listOutbox(store);
    expect(outbox.map((r) => [r.status, r.notifiedApplied, r.message.html])).toEqual(
      Array.from({ length: 5 }, () => ['sent', true, '']),
    );
  });

  it("reports progress as each message is done with, out of the run's messages", async () => {
    // Prepare
    const { store, ports } = setup();
    await fleet(store);
    const seen: Array<[number, number]> = [];
    // Act
    await notify(ports, { ...OPTIONS, onProgress: (done, total) => seen.push([done, total]) });
    // Assess
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => [n, 5]));
  });

  it('across runs: sends a newly fixable or escalated finding again, then a reminder after the interval', async () => {
    const { store, mailer, ports, clock } = setup();
    const unfixed = vuln({ fixedIn: undefined });
    const medium = vuln({ vulnerability: 'CVE-2024-0002', severity: 'Medium' });
    await storeFindings(store, [unfixed, medium]);
    await notify(ports, OPTIONS);

    clock.advance(HOUR_MS);
    const unchanged = await notify(ports, { ...OPTIONS, runId: 'run-2' });
    await storeFindings(store, [
      { ...unfixed, fixedIn: '3.0.2-1' },
      { ...medium, severity: 'Critical' },
    ]);
    clock.advance(HOUR_MS);
    const changed = await notify(ports, { ...OPTIONS, runId: 'run-3' });
    clock.advance(6 * DAY_MS);
    const tooEarly = await notify(ports, { ...OPTIONS, runId: 'run-4' });
    clock.advance(DAY_MS);
    const reminder = await notify(ports, { ...OPTIONS, runId: 'run-5' });

    expect(unchanged.sent).toBe(0);
    expect(changed.plan.byReason).toMatchObject({ fixable: 1, escalated: 1 });
    expect(mailer.sent[1]?.subject).toBe('[imagewarden] 1 new critical, 1 high in 1 image you own');
    expect(tooEarly.sent).toBe(0);
    expect(reminder.plan.byReason.reminder).toBe(2);
    expect(mailer.sent[2]?.subject).toBe('[imagewarden] reminder: 2 open findings in 1 image you own');
    expect(mailer.sent).toHaveLength(3);
  });

  it('leaves the rest pending after a transport failure mid-batch and sends only those next run', async () => {
    const { store, mailer, ports, clock } = setup();
    await fleet(store);
    mailer.failFrom(
      3,
      () => new DeliveryError('421 4.3.2 try again later', { kind: 'transient', responseCode: 421 }),
    );

    const broken = await notify(ports, OPTIONS);
    mailer.heal();
    clock.advance(HOUR_MS);
    const next = await notify(ports, { ...OPTIONS, runId: 'run-2' });

    expect(broken).toMatchObject({ sent: 2, pending: 3 });
    expect(next).toMatchObject({ carriedOver: 3, composed: 0, sent: 3, pending: 0 });
    const recipients = mailer.sent.map((m) => m.to);
    expect(new Set(recipients).size).toBe(5);
    expect(recipients).toHaveLength(5);
  });

  it('updates the notified state only for sent messages', async () => {
    const { store, mailer, ports } = setup();
    await fleet(store);
    mailer.failFrom(2, () => new DeliveryError('connection dropped', { kind: 'transient' }));

    await notify(ports, OPTIONS);

    const notified = await store.list(NOTIFIED_COLLECTION);
    expect(notified.map((r) => r.key.split('|').at(-1))).toEqual(['a@example.org', 'a@example.org']);
  });

  it('reports a refused recipient and routes its findings to the security contact, once', async () => {
    const { store, mailer, ports, clock } = setup();
    await fleet(store);
    mailer.refuse('c@example.org');

    const run = await notify(ports, OPTIONS);
    clock.advance(HOUR_MS);
    const rerun = await notify(ports, { ...OPTIONS, runId: 'run-2' });

    expect(run.permanentFailures).toEqual([
      expect.objectContaining({ to: 'c@example.org', responseCode: 550, routedTo: 'security@example.org' }),
    ]);
    const bounce = mailer.sent.find((m) => m.to === 'security@example.org');
    expect(bounce?.subject).toBe('[imagewarden] undeliverable: 2 findings for c@example.org');
    expect(bounce?.text).toContain('550 5.1.1');
    expect(rerun.sent).toBe(0);
    const outbox = await listOutbox(store);
    expect(outbox.find((r) => r.message.to === 'c@example.org')?.status).toBe('failed');
  });

  it('repairs the notified state of a message marked sent just before a crash', async () => {
    const { store, mailer, ports, clock } = setup();
    await fleet(store);
    await notify(ports, OPTIONS);
    // simulate the crash window: the outbox says sent, the notified state was never written
    for (const { key } of await store.list(NOTIFIED_COLLECTION)) await store.delete(NOTIFIED_COLLECTION, key);
    for (const { key, value } of await store.list<OutboxRecord>(OUTBOX_COLLECTION)) {
      await store.put(OUTBOX_COLLECTION, key, { ...value, notifiedApplied: false });
    }
    clock.advance(HOUR_MS);

    const rerun = await notify(ports, { ...OPTIONS, runId: 'run-2' });

    expect(rerun).toMatchObject({ repaired: 5, composed: 0, sent: 0 });
    expect(mailer.sent).toHaveLength(5);
  });

  it('does not send twice when a run is repeated with the same run id', async () => {
    const { store, mailer, ports } = setup();
    await fleet(store);
    await notify(ports, OPTIONS);
    // the notified state is lost, but the outbox still holds this run's sent messages
    for (const { key } of await store.list(NOTIFIED_COLLECTION)) await store.delete(NOTIFIED_COLLECTION, key);

    const repeat = await notify(ports, OPTIONS);

    expect(repeat.sent).toBe(0);
    expect(mailer.sent).toHaveLength(5);
  });

  it('stops the batch at once when the transport says it cannot send now', async () => {
    const { store, mailer, ports } = setup();
    await fleet(store);
    mailer.failFrom(
      1,
      () => new DeliveryError('SendingPausedException', { kind: 'transient', stopRun: true }),
    );

    const run = await notify(ports, OPTIONS);

    expect(run).toMatchObject({ sent: 0, pending: 5 });
    expect(mailer.attempts).toBe(1);
  });

  it('keeps several messages in flight when asked, each recipient still mailed once', async () => {
    const { store, mailer, ports } = setup();
    await fleet(store);

    const run = await notify(ports, { ...OPTIONS, concurrency: 3 });

    expect(run).toMatchObject({ sent: 5, pending: 0 });
    expect(mailer.sent.map((m) => m.to).sort()).toEqual(owners);
  });

  it('routes findings of an unusable owner address to the security contact, once', async () => {
    const { store, mailer, ports, clock } = setup();
    await storeFindings(store, [vuln({ owner: 'team payments' })]);

    const run = await notify(ports, OPTIONS);
    clock.advance(HOUR_MS);
    const rerun = await notify(ports, { ...OPTIONS, runId: 'run-2' });

    expect(run.sent).toBe(1);
    expect(mailer.sent.map((m) => m.to)).toEqual(['security@example.org']);
    expect(rerun.sent).toBe(0);
  });

  it('applies the alerting filter (minimum severity, fixable only) to vulnerability findings', async () => {
    const { store, mailer, ports } = setup();
    await storeFindings(store, [
      vuln({ vulnerability: 'CVE-LOW', severity: 'Medium' }),
      vuln({ vulnerability: 'CVE-NOFIX', fixedIn: undefined }),
      vuln({ vulnerability: 'CVE-ALERT' }),
    ]);

    const run = await notify(ports, { ...OPTIONS, alertFilter: { minSeverity: 'High', fixableOnly: true } });

    expect(run.filtered).toEqual({ belowSeverity: 1, unfixable: 1 });
    expect(mailer.sent[0]?.findings.map((f) => f.key)).toEqual([vuln({ vulnerability: 'CVE-ALERT' }).key]);
  });

  it('prunes sent outbox records after keepOutbox, keeping the notified state', async () => {
    const { store, ports, clock } = setup();
    await fleet(store);
    await notify(ports, OPTIONS);

    clock.advance(31 * DAY_MS);
    const later = await notify(ports, { ...OPTIONS, runId: 'run-2', keepOutboxMs: 30 * DAY_MS });

    expect(later.pruned).toBe(5);
    expect((await listOutbox(store)).filter((r) => r.runId === 'run-1')).toEqual([]);
    expect(await store.list(NOTIFIED_COLLECTION)).toHaveLength(10);
  });

  it('composes but queues and sends nothing in a dry run', async () => {
    const { store, mailer, ports } = setup();
    await fleet(store);

    const dry = await notify(ports, { ...OPTIONS, dryRun: true });

    expect(dry.messages.map((m) => m.to).sort()).toEqual(owners);
    expect(mailer.attempts).toBe(0);
    expect(await store.list(OUTBOX_COLLECTION)).toEqual([]);
  });
});
