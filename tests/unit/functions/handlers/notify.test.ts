// Clair webhook -> inventory -> scan worker -> notify, against the Clair protocol fake: a
// notification about a new vulnerability in an in-use image reaches its owner in the next
// cycle, even though the stored report is still fresh (the mark makes the scan read it again).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../../../core/clock.ts';
import { createClairWebhookHandler } from '../../../../functions/handlers/clair-webhook.ts';
import type { FunctionUrlResult } from '../../../../functions/handlers/lib/events.ts';
import { ScheduleEvent } from '../../../../functions/handlers/lib/events.ts';
import { createNotifyHandler, notifyRunId } from '../../../../functions/handlers/notify.ts';
import { createScanWorkerHandler } from '../../../../functions/handlers/scan-worker.ts';
import { PENDING_NOTIFICATIONS } from '../../../../functions/scan/pendingNotifications.ts';
import { type FakeVulnerability, packagesLayer } from '../../../support/clair-fake.ts';
import { type ScanWorld, scanWorld } from '../scan/scan-fixtures.ts';
import { asFunction } from './state-grants.ts';
import {
  fakeSqs,
  offlineInventoryHandler,
  RecordingMailer,
  scheduleEvent,
  sqsEvent,
  testRuntime,
  urlEvent,
  writeFleet,
} from './support.ts';

/** The webhook function refuses to work without a PSK; Clair's notifier signs with it. */
const WEBHOOK_PSK = Buffer.from('webhook-psk-for-the-cycle-tests');

let world: ScanWorld | undefined;
let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  const [s, w, d] = [server, world, dir];
  server = undefined;
  world = undefined;
  dir = undefined;
  try {
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    // fails the test if Clair got a request it does not understand
    await w?.close();
  } finally {
    if (d) await rm(d, { recursive: true, force: true });
  }
});

/** Serves a function URL handler on loopback, as the Lambda URL would. */
async function serve(handler: (event: unknown) => Promise<FunctionUrlResult>): Promise<string> {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const event = urlEvent({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        body: Buffer.concat(chunks).toString(),
        headers,
      });
      void handler(event).then((r) => res.writeHead(r.statusCode, r.headers).end(r.body));
    });
  });
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

async function setup() {
  const vulnerabilities: Record<string, FakeVulnerability[]> = {
    openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  };
  world = await scanWorld({ vulnerabilities });
  const w = world;
  dir = await mkdtemp(join(tmpdir(), 'iw-cycle-'));
  const digest = w.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
  const fleet = join(dir, 'fleet.ndjson');
  await writeFleet(
    fleet,
    [{ host: 'web01.example.org', image: `${w.registry}/team/app:1.0`, digest, owner: 'team@example.org' }],
    w.clock.now(),
  );
  const runtime = testRuntime(
    { inventory: { source: 'file', file: fleet }, scan: { clair: { url: w.fake.url } } },
    { store: w.store, clock: w.clock },
  );
  const sqs = fakeSqs();
  const mailer = new RecordingMailer();
  const inventory = offlineInventoryHandler(runtime, sqs, {
    scanner: async () => ({ scanner: w.ports.scanner }),
    sleep: w.sleep,
  });
  const worker = createScanWorkerHandler({
    runtime: () => asFunction('scan-worker', runtime),
    ports: async (rt) => ({ ...w.ports, store: rt.store }),
  });
  const notify = createNotifyHandler({
    runtime: () => asFunction('notify', runtime),
    mailer: async () => mailer,
    selinux: async () => undefined,
    sleep: w.sleep,
  });
  const webhook = createClairWebhookHandler({
    runtime: () => asFunction('clair-webhook', runtime),
    psk: async () => WEBHOOK_PSK,
  });
  const scanCycle = async () => {
    const taken = sqs.bodies.length;
    const inv = await inventory(scheduleEvent('inventory'));
    await worker(sqsEvent(sqs.bodies.slice(taken).map((body, i) => ({ messageId: `m${taken + i}`, body }))));
    return inv;
  };
  const cycle = async () => {
    const inv = await scanCycle();
    const mail = await notify(scheduleEvent('notify'));
    w.clock.advance(HOUR_MS);
    return { inv, mail };
  };
  return { w, digest, runtime, mailer, webhook, cycle, scanCycle, notify, vulnerabilities };
}

describe('Clair notification through the scheduled cycle', () => {
  it('mails the owner about a vulnerability Clair notified, in the next cycle', async () => {
    // Prepare: one cycle mails the known finding
    const { w, digest, runtime, mailer, webhook, cycle, vulnerabilities } = await setup();
    const first = await cycle();

    // Act: Clair learns of a new vulnerability and notifies the webhook; its receipt follows our 200
    vulnerabilities.openssl?.push({ name: 'CVE-2026-0042', normalizedSeverity: 'High', fixedIn: '3.0.10' });
    const status = await w.fake.notify(
      await serve(webhook),
      '00000000-0000-4000-8000-000000000001',
      [{ manifest: digest, vulnerability: 'CVE-2026-0042', severity: 'High' }],
      { psk: WEBHOOK_PSK, now: w.clock.now() },
    );
    const pending = (await runtime.store.list(PENDING_NOTIFICATIONS)).map((p) => p.key);
    const record = w.fake.notifications.get('00000000-0000-4000-8000-000000000001');
    if (record) record.receipt = true;
    const second = await cycle();
    const third = await cycle();

    // Assess
    expect(first.mail.sent).toBe(1);
    expect(status).toBe(200);
    expect(pending).toEqual(['00000000-0000-4000-8000-000000000001']);
    expect(second.inv.notifications).toEqual({ processed: 1, marked: 1, failed: 0 });
    expect(w.fake.notifications.get('00000000-0000-4000-8000-000000000001')?.deleted).toBe(true);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
    expect(second.mail.sent).toBe(1);
    expect(mailer.sent[1]?.to).toBe('team@example.org');
    expect(mailer.sent[1]?.text).toContain('CVE-2026-0042');
    expect(mailer.sent[1]?.text).not.toContain('CVE-2026-0001');
    expect(third.mail.sent).toBe(0);
  });

  it('mails what is new in a manual run in the same minute as the scheduled one', async () => {
    // Prepare: the scheduled run mails the known finding
    const { w, digest, mailer, webhook, scanCycle, notify, vulnerabilities } = await setup();
    await scanCycle();
    const scheduled = await notify(
      scheduleEvent(
        'notify',
        w.clock
          .now()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z'),
      ),
    );
    vulnerabilities.openssl?.push({ name: 'CVE-2026-0042', normalizedSeverity: 'High', fixedIn: '3.0.10' });
    await w.fake.notify(
      await serve(webhook),
      '00000000-0000-4000-8000-000000000002',
      [{ manifest: digest, vulnerability: 'CVE-2026-0042', severity: 'High' }],
      { psk: WEBHOOK_PSK, now: w.clock.now() },
    );
    await scanCycle();

    // Act: an operator runs notify by hand, the clock still in the same minute
    const manual = await notify({});

    // Assess: its digest is its own (before, both took the minute's run id and the second
    // digest waited, under the first one's Message-ID, for the next run)
    expect(scheduled.sent).toBe(1);
    expect(manual).toMatchObject({ composed: 1, sent: 1 });
    expect(mailer.sent).toHaveLength(2);
    expect(mailer.sent[1]?.text).toContain('CVE-2026-0042');
    expect(mailer.sent[1]?.messageId).not.toBe(mailer.sent[0]?.messageId);
  });

  it('takes the run id from the scheduled time, the same in each retry of one firing', () => {
    // Prepare
    const now = new Date('2026-12-06T12:00:40.123Z');
    const event = (input: unknown) => ScheduleEvent.parse(input);

    // Act
    const scheduled = notifyRunId(event(scheduleEvent('notify', '2026-12-06T12:00:00Z')), now);
    const retried = notifyRunId(
      event(scheduleEvent('notify', '2026-12-06T12:00:00Z')),
      new Date('2026-12-06T12:03:00Z'),
    );
    const manual = notifyRunId(event({}), now);
    const placeholder = notifyRunId(event({ scheduledTime: '<aws.scheduler.scheduled-time>' }), now);

    // Assess
    expect(scheduled).toBe('notify-scheduled-2026-12-06T12:00:00Z');
    expect(retried).toBe(scheduled);
    expect(manual).toBe('notify-2026-12-06T12:00');
    expect(placeholder).toBe(manual);
  });

  it('keeps a notification pending while Clair has no delivery receipt, and finishes it next run', async () => {
    // Prepare
    const { w, runtime, digest, webhook, cycle } = await setup();
    await w.fake.notify(
      await serve(webhook),
      '00000000-0000-4000-8000-000000000002',
      [{ manifest: digest, vulnerability: 'CVE-2026-0001' }],
      {
        receiptDelayMs: 3_600_000,
        psk: WEBHOOK_PSK,
        now: w.clock.now(),
      },
    );

    // Act
    const early = await cycle();
    const record = w.fake.notifications.get('00000000-0000-4000-8000-000000000002');
    if (record) record.receipt = true;
    const later = await cycle();

    // Assess
    expect(early.inv.notifications.failed).toBe(1);
    expect(later.inv.notifications.processed).toBe(1);
    expect(w.fake.notifications.get('00000000-0000-4000-8000-000000000002')?.deleted).toBe(true);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
  });

  it('stops sending near the Lambda deadline and sends the pending message on the next run', async () => {
    // Prepare: findings to mail, and an invocation with 10 s left (under the 20 s margin)
    const { mailer, scanCycle, notify } = await setup();
    await scanCycle();

    // Act
    const cut = await notify(scheduleEvent('notify'), {
      awsRequestId: 'r1',
      getRemainingTimeInMillis: () => 10_000,
    });
    const next = await notify(scheduleEvent('notify'), {
      awsRequestId: 'r2',
      getRemainingTimeInMillis: () => 600_000,
    });

    // Assess
    expect(cut).toMatchObject({ composed: 1, sent: 0, pending: 1 });
    expect(next).toMatchObject({ sent: 1, pending: 0 });
    expect(mailer.sent).toHaveLength(1);
  });
});
