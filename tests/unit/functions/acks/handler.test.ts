import { describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../../../core/clock.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { listStoredAcks, revokeAck } from '../../../../functions/acks/AckStore.ts';
import { type AckHandlerPorts, handleAckRequest } from '../../../../functions/acks/handler.ts';
import { storedRecipientCheck } from '../../../../functions/acks/recipients.ts';
import { type AckTokenPayload, signAckToken } from '../../../../functions/acks/token.ts';
import { storeFindings, tempStore, vuln } from '../notify/fixtures.ts';

const KEY = 'handler-test-key-0123456789-0123456789';

async function setup() {
  const { store } = tempStore();
  await storeFindings(store, [vuln({ fixedIn: undefined })]);
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  const ports: AckHandlerPorts = {
    store,
    hmacKey: KEY,
    clock,
    policy: { defaultDays: 90, maxDays: 180 },
    isRecipient: storedRecipientCheck(store, 'security@example.org'),
    logger: silentLogger(),
  };
  const payload: AckTokenPayload = {
    v: 1,
    id: 'tok-000000000001',
    scope: { repository: 'harbor.example.org/team/app', vulnerability: 'CVE-2024-0001', package: 'openssl' },
    to: 'alice@example.org',
    exp: Math.floor((clock.now().getTime() + 30 * DAY_MS) / 1000),
    fix: false,
  };
  const token = (over: Partial<AckTokenPayload> = {}) => signAckToken({ ...payload, ...over }, KEY);
  const get = (t: string) => handleAckRequest({ method: 'GET', params: new URLSearchParams({ t }) }, ports);
  const post = (t: string, form: Record<string, string> = {}) =>
    handleAckRequest({ method: 'POST', params: new URLSearchParams({ t, ...form }) }, ports);
  return { store, clock, ports, token, get, post };
}

describe('ack handler', () => {
  it('shows a confirmation page on GET and records nothing (mail scanners follow links)', async () => {
    // Prepare
    const { store, token, get } = await setup();
    // Act
    const page = await get(token());
    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain('Acknowledge this finding?');
    expect(page.body).toContain('<form method="post"');
    expect(page.body).toContain('CVE-2024-0001 in package openssl on harbor.example.org/team/app');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await listStoredAcks(store)).acks).toEqual([]);
  });

  it('records the ack on POST with the recipient as author and the fix state at mail time', async () => {
    const { store, token, post } = await setup();

    const page = await post(token(), { reason: 'not exposed', days: '30' });

    expect(page.status).toBe(200);
    expect(page.body).toContain('Acknowledged until <strong>2026-04-09</strong>');
    const { acks } = await listStoredAcks(store);
    expect(acks).toEqual([
      expect.objectContaining({
        id: 'link-tok-000000000001',
        author: 'alice@example.org',
        reason: 'not exposed',
        source: 'link',
        fixAvailable: false,
        expiresAt: '2026-04-09T12:00:00.000Z',
      }),
    ]);
  });

  it('answers a second POST of the same link with "already acknowledged", recording nothing new', async () => {
    const { store, token, post } = await setup();
    await post(token());

    const again = await post(token(), { reason: 'changed my mind', days: '5' });

    expect(again.body).toContain('Already acknowledged');
    expect((await listStoredAcks(store)).acks.map((a) => a.reason)).toEqual([
      'Acknowledged from the imagewarden email',
    ]);
  });

  it('refuses a tampered token with a clear page', async () => {
    const { token, post } = await setup();
    const [body, signature] = token().split('.');
    const tampered = `${body?.slice(0, -2)}AA.${signature}`;

    const page = await post(tampered);

    expect(page.status).toBe(400);
    expect(page.body).toContain('Link not valid');
    expect(page.body).toContain('Nothing was recorded');
  });

  it('refuses an expired link', async () => {
    const { token, get, clock } = await setup();
    const t = token();
    clock.advance(31 * DAY_MS);

    const page = await get(t);

    expect(page.status).toBe(400);
    expect(page.body).toContain('Link expired');
  });

  it('refuses a link mailed to someone who is not a recipient of the finding', async () => {
    const { store, token, post } = await setup();

    const page = await post(token({ to: 'mallory@example.org' }));

    expect(page.status).toBe(403);
    expect(page.body).toContain('Not your finding');
    expect((await listStoredAcks(store)).acks).toEqual([]);
  });

  it('refuses a link replayed after its ack was revoked', async () => {
    const { store, token, post, clock } = await setup();
    await post(token());
    await revokeAck(store, 'link-tok-000000000001', 'alice', clock.now());

    const replay = await post(token());

    expect(replay.status).toBe(400);
    expect(replay.body).toContain('Acknowledgement revoked');
    expect((await listStoredAcks(store)).acks[0]?.revokedAt).toBeDefined();
  });

  it('refuses an expiry beyond the maximum', async () => {
    const { store, token, post } = await setup();

    const page = await post(token(), { days: '400' });

    expect(page.status).toBe(400);
    expect(page.body).toContain('Choose between 1 and 180 days');
    expect((await listStoredAcks(store)).acks).toEqual([]);
  });

  it('escapes the reason and scope values it shows', async () => {
    const { token, get } = await setup();

    const page = await get(
      token({
        scope: { repository: 'harbor.example.org/<b>x</b>', vulnerability: 'CVE-1' },
        to: 'security@example.org',
      }),
    );

    expect(page.body).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(page.body).not.toContain('<b>x</b>');
  });
});
