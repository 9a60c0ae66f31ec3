// The Clair webhook function behind its function URL: refuses to work without a PSK, answers
// at once, records what it received for the inventory run to process, refuses bad requests,
// unsigned ones, oversized bodies and notification ids that are not UUIDs.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/errors.ts';
import { shortLivedToken } from '../../../../core/jwt.ts';
import { createClairWebhookHandler } from '../../../../functions/handlers/clair-webhook.ts';
import { PENDING_NOTIFICATIONS } from '../../../../functions/scan/pendingNotifications.ts';
import { asFunction } from './state-grants.ts';
import { testRuntime, urlEvent } from './support.ts';

const PSK = Buffer.from('a-pre-shared-key-of-enough-length');
const ID = '3f2b7c1e-8a4d-4e2f-9b6a-1c0d2e3f4a5b';

function setup(psk: Uint8Array | null = PSK) {
  const runtime = testRuntime();
  const webhook = createClairWebhookHandler({
    runtime: () => asFunction('clair-webhook', runtime),
    psk: async () => psk ?? undefined,
  });
  return { runtime, webhook };
}

// the runtime's clock is a manual one; the notifier signs at that time
const signed = () => ({
  authorization: `Bearer ${shortLivedToken('clair-notifier', PSK, testRuntime().clock.now())}`,
});

describe('clair-webhook handler', () => {
  it('answers bad requests without recording anything, and dedupes redeliveries', async () => {
    // Prepare
    const { runtime, webhook } = setup();
    const body = JSON.stringify({
      notification_id: ID,
      callback: `http://clair/notifier/api/v1/notification/${ID}`,
    });

    // Act
    const get = await webhook(urlEvent({ method: 'GET' }));
    const notJson = await webhook(urlEvent({ method: 'POST', headers: signed(), body: 'not json' }));
    const missing = await webhook(urlEvent({ method: 'POST', headers: signed(), body: '{"callback":"x"}' }));
    const huge = await webhook(urlEvent({ method: 'POST', headers: signed(), body: 'x'.repeat(70_000) }));
    const first = await webhook(urlEvent({ method: 'POST', headers: signed(), body, base64: true }));
    const again = await webhook(urlEvent({ method: 'POST', headers: signed(), body }));

    // Assess
    expect([get.statusCode, notJson.statusCode, missing.statusCode, huge.statusCode]).toEqual([
      405, 400, 400, 413,
    ]);
    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(again.body)).toEqual({ duplicate: true });
    expect((await runtime.store.list(PENDING_NOTIFICATIONS)).map((p) => p.key)).toEqual([ID]);
  });

  it('refuses to work at all without a PSK, and records nothing', async () => {
    // Prepare
    const { runtime, webhook } = setup(null);
    const body = JSON.stringify({ notification_id: ID, callback: 'http://clair/x' });

    // Act
    const outcome = await webhook(urlEvent({ method: 'POST', body })).catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(ConfigError);
    expect(String(outcome)).toMatch(/scan\.clair\.psk is required/);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
  });

  it.each([
    ['no token', {}],
    ['a token that does not verify', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.bad' }],
    [
      'a token signed with another key',
      { authorization: `Bearer ${shortLivedToken('clair-notifier', Buffer.from('other-key-xxxxxxxxxxxx'))}` },
    ],
  ])('refuses a webhook with %s', async (_what, headers) => {
    // Prepare
    const { runtime, webhook } = setup();

    // Act
    const response = await webhook(
      urlEvent({
        method: 'POST',
        headers,
        body: JSON.stringify({ notification_id: ID, callback: 'http://clair/x' }),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
  });

  it.each(['..', '../../indexer/api/v1/index_report', 'n-1', `${ID}/..`])(
    'refuses the notification id %j before it can become part of a URL',
    async (id) => {
      // Prepare
      const { runtime, webhook } = setup();

      // Act
      const response = await webhook(
        urlEvent({
          method: 'POST',
          headers: signed(),
          body: JSON.stringify({ notification_id: id, callback: 'http://clair/x' }),
        }),
      );

      // Assess
      expect(response.statusCode).toBe(400);
      expect(await runtime.store.list(PENDING_NOTIFICATIONS)).toEqual([]);
    },
  );

  it('answers 503 (Clair delivers again) when the state store fails', async () => {
    // Prepare
    const { runtime, webhook } = setup();
    runtime.store.putIfAbsent = async () => {
      throw new Error('dynamodb unavailable');
    };

    // Act
    const response = await webhook(
      urlEvent({
        method: 'POST',
        headers: signed(),
        body: JSON.stringify({ notification_id: ID, callback: 'http://clair/x' }),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
  });
});
