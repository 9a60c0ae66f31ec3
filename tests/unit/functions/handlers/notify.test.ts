// Clair webhook function + notify function together: the Clair fake POSTs a notification to
// the webhook handler (through a loopback HTTP server that turns requests into function URL
// events), the notify run pages through it, deletes it and mails the owner one digest.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClairWebhookHandler } from '../../../../functions/handlers/clair-webhook.ts';
import { PENDING_NOTIFICATIONS } from '../../../../functions/handlers/lib/pendingNotifications.ts';
import type { Runtime } from '../../../../functions/handlers/lib/runtime.ts';
import { createNotifyHandler } from '../../../../functions/handlers/notify.ts';
import { createScanWorkerHandler } from '../../../../functions/handlers/scan-worker.ts';
import { saveInventory } from '../../../../functions/inventory/inventoryStore.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from '../scan/scan-fixtures.ts';
import { RecordingMailer, scheduleEvent, sqsEvent, testRuntime, urlEvent } from './support.ts';

let world: ScanWorld | undefined;
let server: Server | undefined;
afterEach(async () => {
  const s = server;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  await world?.close();
  server = undefined;
  world = undefined;
});

/** Serves a function URL handler on loopback, as the Lambda URL would. */
async function serve(
  handler: (event: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>,
) {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      void handler(
        urlEvent({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.search.slice(1),
          body: Buffer.concat(chunks).toString(),
          headers,
        }),
      ).then((r) => res.writeHead(r.statusCode, r.headers).end(r.body));
    });
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

async function setup() {
  world = await scanWorld();
  const w = world;
  const repo = `${w.registry}/team/app`;
  const digest = w.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
  await saveInventory(w.store, snapshot([item(repo, digest)]));
  const runtime: Runtime = testRuntime(
    { scan: { clair: { url: w.fake.url } }, owners: { securityContact: 'security@example.org' } },
    { store: w.store, clock: w.clock },
  );
  const mailer = new RecordingMailer();
  const webhook = createClairWebhookHandler({ runtime: async () => runtime, psk: async () => undefined });
  const worker = createScanWorkerHandler({ runtime: async () => runtime, ports: async () => w.ports });
  const notify = createNotifyHandler({
    runtime: async () => runtime,
    mailer: async () => mailer,
    scanner: async () => ({ scanner: w.ports.scanner }),
    sleep: w.sleep,
  });
  await worker(sqsEvent([{ messageId: 'm1', body: JSON.stringify({ v: 1, digest, repository: repo }) }]));
  return { w, repo, digest, runtime, mailer, webhook, notify };
}

describe('clair-webhook and notify handlers', () => {
  it('records a notification, then the notify run processes it, deletes it and mails the owner once', async () => {
    // Prepare
    const { w, digest, runtime, mailer, webhook, notify } = await setup();
    const url = await serve(webhook);

    // Act: Clair delivers (its receipt is written after our 200), later the notify run starts
    const status = await w.fake.notify(url, 'n-1', [
      { manifest: digest, vulnerability: 'CVE-2026-0001', severity: 'Critical' },
    ]);
    const pendingAfterWebhook = await runtime.store.list(PENDING_NOTIFICATIONS);
    const record = w.fake.notifications.get('n-1');
    if (record) record.receipt = true;
    const first = await notify(scheduleEvent('notify'));
    const second = await notify(scheduleEvent('notify'));

    // Assess
    expect(status).toBe(200);
    expect(pendingAfterWebhook.map((p) => p.key)).toEqual(['n-1']);
    expect(first.notifications).toEqual({ processed: 1, marked: 1, failed: 0 });
    expect(w.fake.notifications.get('n-1')?.deleted).toBe(true);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
    expect(mailer.sent.map((m) => m.to)).toEqual(['team@example.org']);
    expect(mailer.sent[0]?.text).toContain('CVE-2026-0001');
    expect(first).toMatchObject({ sent: 1, pending: 0, refused: 0 });
    expect(second).toMatchObject({
      sent: 0,
      composed: 0,
      notifications: { processed: 0, marked: 0, failed: 0 },
    });
    expect(mailer.closed).toBe(true);
  });

  it('keeps a notification pending when Clair has no delivery receipt yet, and finishes it next run', async () => {
    // Prepare
    const { w, runtime, digest, webhook, notify } = await setup();
    await w.fake.notify(await serve(webhook), 'n-2', [{ manifest: digest, vulnerability: 'CVE-2026-0001' }], {
      receiptDelayMs: 3_600_000,
    });

    // Act
    const early = await notify(scheduleEvent('notify'));
    const record = w.fake.notifications.get('n-2');
    if (record) record.receipt = true;
    const later = await notify(scheduleEvent('notify'));

    // Assess
    expect(early.notifications.failed).toBe(1);
    expect(later.notifications.processed).toBe(1);
    expect(w.fake.notifications.get('n-2')?.deleted).toBe(true);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
  });

  it('answers bad webhook requests without recording anything, and dedupes redeliveries', async () => {
    // Prepare
    const { runtime, webhook } = await setup();
    const body = JSON.stringify({
      notification_id: 'n-3',
      callback: 'http://clair/notifier/api/v1/notification/n-3',
    });

    // Act
    const get = await webhook(urlEvent({ method: 'GET' }));
    const notJson = await webhook(urlEvent({ method: 'POST', body: 'not json' }));
    const missing = await webhook(urlEvent({ method: 'POST', body: '{"callback":"x"}' }));
    const first = await webhook(urlEvent({ method: 'POST', body, base64: true }));
    const again = await webhook(urlEvent({ method: 'POST', body }));

    // Assess
    expect([get.statusCode, notJson.statusCode, missing.statusCode]).toEqual([405, 400, 400]);
    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(again.body)).toEqual({ duplicate: true });
    expect((await runtime.store.list(PENDING_NOTIFICATIONS)).map((p) => p.key)).toEqual(['n-3']);
  });

  it('refuses a webhook whose JWT does not verify when a PSK is configured', async () => {
    // Prepare
    const { runtime } = await setup();
    const webhook = createClairWebhookHandler({
      runtime: async () => runtime,
      psk: async () => Buffer.from('a-pre-shared-key-of-enough-length'),
    });

    // Act
    const response = await webhook(
      urlEvent({
        method: 'POST',
        headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.bad' },
        body: JSON.stringify({ notification_id: 'n-4', callback: 'http://clair/x' }),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
  });
});
