// The Clair webhook function behind its function URL: answers at once, records what it
// received for the inventory run to process, refuses bad requests and unsigned ones.
import { describe, expect, it } from 'vitest';
import { createClairWebhookHandler } from '../../../../functions/handlers/clair-webhook.ts';
import { PENDING_NOTIFICATIONS } from '../../../../functions/scan/pendingNotifications.ts';
import { asFunction } from './state-grants.ts';
import { testRuntime, urlEvent } from './support.ts';

function setup(psk?: Uint8Array) {
  const runtime = testRuntime();
  const webhook = createClairWebhookHandler({
    runtime: () => asFunction('clair-webhook', runtime),
    psk: async () => psk,
  });
  return { runtime, webhook };
}

describe('clair-webhook handler', () => {
  it('answers bad requests without recording anything, and dedupes redeliveries', async () => {
    // Prepare
    const { runtime, webhook } = setup();
    const body = JSON.stringify({
      notification_id: 'n-3',
      callback: 'http://clair/notifier/api/v1/notification/n-3',
    });

    // Act
    const get = await webhook(urlEvent({ method: 'GET' }));
    const notJson = await webhook(urlEvent({ method: 'POST', body: 'not json' }));
    const missing = await webhook(urlEvent({ method: 'POST', body: '{"callback":"x"}' }));
    const huge = await webhook(urlEvent({ method: 'POST', body: 'x'.repeat(70_000) }));
    const first = await webhook(urlEvent({ method: 'POST', body, base64: true }));
    const again = await webhook(urlEvent({ method: 'POST', body }));

    // Assess
    expect([get.statusCode, notJson.statusCode, missing.statusCode, huge.statusCode]).toEqual([
      405, 400, 400, 413,
    ]);
    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(again.body)).toEqual({ duplicate: true });
    expect((await runtime.store.list(PENDING_NOTIFICATIONS)).map((p) => p.key)).toEqual(['n-3']);
  });

  it('refuses a webhook whose JWT does not verify when a PSK is configured', async () => {
    // Prepare
    const { runtime, webhook } = setup(Buffer.from('a-pre-shared-key-of-enough-length'));

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
        body: JSON.stringify({ notification_id: 'n-5', callback: 'http://clair/x' }),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
  });
});
