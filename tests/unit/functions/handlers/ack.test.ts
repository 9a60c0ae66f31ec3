// The ack function behind its function URL: the link from an email (GET) shows a page, the
// page's form (POST, base64-encoded by the function URL) records the acknowledgement.
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../../core/clock.ts';
import { listStoredAcks } from '../../../../functions/acks/AckStore.ts';
import { type AckTokenPayload, signAckToken } from '../../../../functions/acks/token.ts';
import { createAckHandler } from '../../../../functions/handlers/ack.ts';
import { storeFindings, vuln } from '../notify/fixtures.ts';
import { asFunction } from './state-grants.ts';
import { testRuntime, urlEvent } from './support.ts';

const KEY = 'lambda-ack-test-key-0123456789-0123456789';

function setup(hmacKey: () => Promise<string | undefined> = async () => KEY) {
  const runtime = testRuntime({ owners: { securityContact: 'security@example.org' } });
  const handler = createAckHandler({ runtime: () => asFunction('ack', runtime), hmacKey });
  const payload: AckTokenPayload = {
    v: 1,
    id: 'tok-0123456789',
    scope: { repository: 'harbor.example.org/team/app', vulnerability: 'CVE-2026-0001' },
    to: 'security@example.org',
    exp: Math.floor((runtime.clock.now().getTime() + 30 * DAY_MS) / 1000),
    fix: true,
  };
  return { runtime, handler, token: signAckToken(payload, KEY) };
}

describe('ack handler', () => {
  it('shows the confirmation page on GET and records the ack on the form POST', async () => {
    // Prepare
    const { runtime, handler, token } = setup();

    // Act
    const page = await handler(
      urlEvent({ method: 'GET', path: '/ack', query: `t=${encodeURIComponent(token)}` }),
    );
    const afterGet = (await listStoredAcks(runtime.store)).acks;
    const posted = await handler(
      urlEvent({
        method: 'POST',
        path: '/ack',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          t: token,
          days: '14',
          reason: 'base image rebuild next week',
        }).toString(),
        base64: true,
      }),
    );

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<form');
    expect(afterGet).toEqual([]);
    expect(posted.statusCode).toBe(200);
    const { acks } = await listStoredAcks(runtime.store);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({
      author: 'security@example.org',
      reason: 'base image rebuild next week',
      source: 'link',
      expiresAt: new Date(runtime.clock.now().getTime() + 14 * DAY_MS).toISOString(),
    });
  });

  it('lets an owner acknowledge only findings mailed to them (read through its own state grants)', async () => {
    // Prepare: a stored finding mailed to alice; the handler reads it through the restricted store
    const { runtime, handler } = setup();
    await storeFindings(runtime.store, [vuln({ owner: 'alice@example.org' })]);
    const link = (to: string) =>
      signAckToken(
        {
          v: 1,
          id: `tok-${to.split('@')[0]}-0123456789`,
          scope: { repository: 'harbor.example.org/team/app', vulnerability: 'CVE-2024-0001' },
          to,
          exp: Math.floor((runtime.clock.now().getTime() + 30 * DAY_MS) / 1000),
          fix: false,
        },
        KEY,
      );
    const post = (token: string) =>
      handler(
        urlEvent({
          method: 'POST',
          path: '/ack',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ t: token, days: '7' }).toString(),
        }),
      );

    // Act
    const byOwner = await post(link('alice@example.org'));
    const byStranger = await post(link('mallory@example.org'));

    // Assess
    expect(byOwner.statusCode).toBe(200);
    expect(byStranger.statusCode).not.toBe(200);
    const { acks } = await listStoredAcks(runtime.store);
    expect(acks.map((a) => a.author)).toEqual(['alice@example.org']);
  });

  it('refuses a tampered link, other paths and other methods', async () => {
    // Prepare
    const { handler, token } = setup();
    const tampered = `${token.slice(0, -2)}xx`;

    // Act
    const bad = await handler(urlEvent({ method: 'GET', path: '/ack', query: `t=${tampered}` }));
    const elsewhere = await handler(urlEvent({ method: 'GET', path: '/admin', query: `t=${token}` }));
    const put = await handler(urlEvent({ method: 'PUT', path: '/ack', query: `t=${token}` }));
    const notHttp = await handler({ Records: [] });

    // Assess
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Link not valid');
    expect(elsewhere.statusCode).toBe(404);
    expect(put.statusCode).toBe(405);
    expect(notHttp.statusCode).toBe(400);
  });

  it('answers 503 and records nothing while the signing key cannot be read', async () => {
    // Prepare
    const { runtime, handler, token } = setup(async () => {
      throw new Error('AccessDeniedException');
    });

    // Act
    const response = await handler(
      urlEvent({ method: 'POST', path: '/ack', body: new URLSearchParams({ t: token }).toString() }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect((await listStoredAcks(runtime.store)).acks).toEqual([]);
  });
});
