// Clair's notifier webhook: the receiving half (status codes, JWT, dedupe) called directly,
// and the whole flow with the Clair fake delivering to our webhook server.
import { afterEach, describe, expect, it } from 'vitest';
import { shortLivedToken, signHs256 } from '../../../../core/jwt.ts';
import {
  CLAIR_NOTIFICATIONS,
  RENOTIFY,
  type RenotifyMark,
  receiveNotification,
} from '../../../../functions/scan/notifications.ts';
import { scanInventory } from '../../../../functions/scan/scanInventory.ts';
import { startWebhookServer, type WebhookServer } from '../../../../functions/scan/webhookServer.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from './scan-fixtures.ts';

const PSK = Buffer.from('notifier-psk');
let world: ScanWorld | undefined;
let server: WebhookServer | undefined;
afterEach(async () => {
  const [s, w] = [server, world];
  server = undefined;
  world = undefined;
  try {
    await s?.close();
  } finally {
    // fails the test if Clair got a request it does not understand
    await w?.close();
  }
});

const request = (body: string, authorization?: string) => ({
  headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  body,
});
const valid = JSON.stringify({
  notification_id: '00000000-0000-4000-8000-000000000001',
  callback: 'http://clair/notifier/api/v1/notification/00000000-0000-4000-8000-000000000001',
});

describe('receiveNotification', () => {
  it.each([
    ['not JSON', 'not json {'],
    ['an empty object', '{}'],
    ['no callback', JSON.stringify({ notification_id: '00000000-0000-4000-8000-000000000001' })],
    [
      'a callback that is not a URL',
      JSON.stringify({ notification_id: '00000000-0000-4000-8000-000000000001', callback: 'x' }),
    ],
    ['JSON null', 'null'],
  ])('answers 400 to %s and does nothing else', async (_what, body) => {
    // Prepare
    world = await scanWorld();
    // Act
    const { response, notification } = await receiveNotification(request(body), world.ports);
    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'bad-request' });
    expect(notification).toBeUndefined();
    expect(await world.store.list(CLAIR_NOTIFICATIONS)).toEqual([]);
  });

  it('accepts a notification once and ignores its redelivery', async () => {
    world = await scanWorld();
    const first = await receiveNotification(request(valid), world.ports);
    const second = await receiveNotification(request(valid), world.ports);
    expect(first.response.status).toBe(200);
    expect(first.notification?.notification_id).toBe('00000000-0000-4000-8000-000000000001');
    expect(second.response.status).toBe(200);
    expect(second.notification).toBeUndefined();
  });

  describe("with PSK: verifies Clair's JWT", () => {
    it.each([
      ['no token', undefined],
      ['a token from a wrong key', `Bearer ${shortLivedToken('clair-notifier', Buffer.from('x'))}`],
      ['a wrong issuer', `Bearer ${shortLivedToken('imagewarden', PSK)}`],
      [
        'an expired token',
        `Bearer ${shortLivedToken('clair-notifier', PSK, new Date(Date.now() - 3_600_000))}`,
      ],
      [
        'a token without exp (it would be valid forever once seen)',
        `Bearer ${signHs256({ iss: 'clair-notifier', iat: Math.floor(Date.now() / 1000) }, PSK)}`,
      ],
    ])('401 for %s, nothing stored', async (_what, authorization) => {
      world = await scanWorld();
      const ports = { ...world.ports, clock: { now: () => new Date() } };
      const { response } = await receiveNotification(request(valid, authorization), ports, { psk: PSK });
      expect(response.status).toBe(401);
      expect(await world.store.list(CLAIR_NOTIFICATIONS)).toEqual([]);
    });

    it('200 for a fresh token from clair-notifier', async () => {
      world = await scanWorld();
      const ports = { ...world.ports, clock: { now: () => new Date() } };
      const authorization = `Bearer ${shortLivedToken('clair-notifier', PSK)}`;
      const { response } = await receiveNotification(request(valid, authorization), ports, { psk: PSK });
      expect(response.status).toBe(200);
    });
  });
});

describe('notifier webhook end to end with the Clair fake', () => {
  async function scannedImage(w: ScanWorld): Promise<string> {
    const digest = w.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
    const snap = snapshot([item(`${w.registry}/team/app`, digest)]);
    await w.store.put('inventory', 'latest', snap);
    await scanInventory(snap, w.ports);
    return digest;
  }

  it('answers 200 at once, pages through, marks in-use manifests, and deletes after the receipt exists', async () => {
    // Prepare
    world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
    const digest = await scannedImage(world);
    const w = world;
    server = await startWebhookServer(
      {
        ...w.ports,
        clock: { now: () => new Date() },
        // time passing between DELETE attempts: Clair writes its delivery receipt meanwhile
        sleep: async () => {
          const n = w.fake.notifications.get('00000000-0000-4000-8000-000000000042');
          if (n) n.receipt = true;
        },
      },
      { psk: PSK, pageSize: 2 },
    );
    // Act
    const status = await world.fake.notify(
      server.url,
      '00000000-0000-4000-8000-000000000042',
      [
        { manifest: digest, vulnerability: 'CVE-2026-9999', severity: 'Critical' },
        { manifest: `sha256:${'e'.repeat(64)}`, vulnerability: 'CVE-2026-1111' },
        { manifest: digest, vulnerability: 'CVE-2026-8888', severity: 'High' },
      ],
      { receiptDelayMs: 3_600_000 },
    );
    const [processed] = await server.drain();
    // Assess
    expect(status).toBe(200);
    expect(processed).toEqual({
      notificationId: '00000000-0000-4000-8000-000000000042',
      pages: 2,
      notifications: 3,
      marked: 1,
      deleted: true,
    });
    expect(world.fake.calls.notification_delete).toBe(2); // the first DELETE came before the receipt
    expect(world.fake.notifications.get('00000000-0000-4000-8000-000000000042')?.deleted).toBe(true);
    const mark = await world.store.get<RenotifyMark>(RENOTIFY, digest);
    expect(mark).toMatchObject({
      digest,
      repository: `${world.registry}/team/app`,
      notificationId: '00000000-0000-4000-8000-000000000042',
      vulnerabilities: [
        { name: 'CVE-2026-9999', reason: 'added', severity: 'Critical' },
        { name: 'CVE-2026-8888', reason: 'added', severity: 'High' },
      ],
    });
    expect(await world.store.get(RENOTIFY, `sha256:${'e'.repeat(64)}`)).toBeUndefined();
    expect(await world.store.get(CLAIR_NOTIFICATIONS, '00000000-0000-4000-8000-000000000042')).toMatchObject({
      status: 'done',
      deleted: true,
    });
  });

  it('records a DELETE that keeps failing, and a redelivered notification is not processed twice', async () => {
    world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
    const digest = await scannedImage(world);
    server = await startWebhookServer(
      { ...world.ports, sleep: async () => {} },
      { psk: PSK, deleteAttempts: 3 },
    );
    await world.fake.notify(
      server.url,
      '00000000-0000-4000-8000-000000000007',
      [{ manifest: digest, vulnerability: 'CVE-1' }],
      {
        receiptDelayMs: 3_600_000,
        now: world.clock.now(),
      },
    );
    await server.drain();
    const redelivered = await world.fake.notify(
      server.url,
      '00000000-0000-4000-8000-000000000007',
      [{ manifest: digest, vulnerability: 'CVE-1' }],
      {
        receiptDelayMs: 3_600_000,
        now: world.clock.now(),
      },
    );
    const processed = await server.drain();
    expect(redelivered).toBe(200);
    expect(processed).toHaveLength(1);
    expect(processed[0]).toMatchObject({
      marked: 1,
      deleted: false,
      error: expect.stringMatching(/delete failed.*500/),
    });
    expect(world.fake.calls.notification_get).toBe(1);
    expect(await world.store.get(CLAIR_NOTIFICATIONS, '00000000-0000-4000-8000-000000000007')).toMatchObject({
      status: 'failed',
    });
  });

  it('a second notification for the same manifest adds to a mark not yet consumed', async () => {
    world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
    const digest = await scannedImage(world);
    const w = world;
    server = await startWebhookServer(
      {
        ...w.ports,
        sleep: async () => {
          for (const n of w.fake.notifications.values()) n.receipt = true;
        },
      },
      { psk: PSK },
    );
    await world.fake.notify(
      server.url,
      '00000000-0000-4000-8000-000000000001',
      [{ manifest: digest, vulnerability: 'CVE-A' }],
      {
        receiptDelayMs: 3_600_000,
        now: world.clock.now(),
      },
    );
    await server.drain();
    await world.fake.notify(
      server.url,
      '00000000-0000-4000-8000-000000000002',
      [{ manifest: digest, vulnerability: 'CVE-B' }],
      {
        receiptDelayMs: 3_600_000,
        now: world.clock.now(),
      },
    );
    await server.drain();
    const mark = await world.store.get<RenotifyMark>(RENOTIFY, digest);
    expect(mark?.vulnerabilities.map((v) => v.name)).toEqual(['CVE-A', 'CVE-B']);
    expect(mark?.notificationId).toBe('00000000-0000-4000-8000-000000000002');
  });

  it('a request that is not JSON gets 400 and the fake sees no callback traffic', async () => {
    world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
    server = await startWebhookServer(world.ports, { psk: PSK });
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${shortLivedToken('clair-notifier', PSK, world.clock.now())}` },
      body: 'garbage',
    });
    expect(res.status).toBe(400);
    expect(await server.drain()).toEqual([]);
    expect(world.fake.calls.notification_get).toBe(0);
  });
});
