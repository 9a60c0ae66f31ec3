// Lambda entry point behind a function URL: Clair's notifier webhook. Refuses to work without
// a PSK (the URL is public), verifies the notifier's JWT, dedupes on notification_id, answers at once, and
// records the notification for the hourly inventory function to page through and delete (see
// lib/pendingNotifications.ts for why not here).
import './lib/install-source-maps.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import { withRequestMetrics } from '../../core/metrics/emf.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { clairPsk } from '../scan/fromConfig.ts';
import { receiveNotification } from '../scan/notifications.ts';
import { recordPendingNotification } from '../scan/pendingNotifications.ts';
import { bodyText, FunctionUrlEvent, type FunctionUrlResult, lowerHeaders } from './lib/events.ts';
import { createRuntime, invocationLogger, type LambdaContext, once, type Runtime } from './lib/runtime.ts';

/** Larger bodies are not notifier webhooks. */
const MAX_BODY = 64 * 1024;

export interface ClairWebhookDeps {
  runtime: () => Promise<Runtime>;
  psk: (runtime: Runtime) => Promise<Uint8Array | undefined>;
}

const json = (statusCode: number, body: string): FunctionUrlResult => ({
  statusCode,
  headers: body ? { 'content-type': 'application/json' } : {},
  body,
});

export function createClairWebhookHandler(deps: ClairWebhookDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<FunctionUrlResult> => {
    const runtime = await deps.runtime();
    const { store, clock, config } = runtime;
    const logger = invocationLogger(runtime, context);
    const psk = await deps.psk(runtime);
    if (!psk || psk.byteLength === 0) {
      // a public URL that would store anonymous notifications: fail every invocation, loudly
      throw new ConfigError(
        'scan.clair.psk is required: the Clair webhook does not accept unsigned notifications',
      );
    }
    const request = FunctionUrlEvent.safeParse(event);
    if (!request.success)
      return json(400, JSON.stringify({ code: 'bad-request', message: 'not an HTTP request' }));
    if (request.data.requestContext.http.method.toUpperCase() !== 'POST') {
      return { statusCode: 405, headers: { allow: 'POST' }, body: '' };
    }
    // checked before decoding: base64 is 4/3 of the bytes it carries
    if ((request.data.body?.length ?? 0) > Math.ceil((MAX_BODY * 4) / 3) + 4) return json(413, '');
    const body = bodyText(request.data);
    if (Buffer.byteLength(body) > MAX_BODY) return json(413, '');
    try {
      const { response, notification } = await receiveNotification(
        { headers: lowerHeaders(request.data.headers), body },
        { store, clock, logger },
        { psk, issuers: config.scan.webhook.issuers },
      );
      if (notification) {
        await recordPendingNotification(store, notification);
        logger.info(
          { notificationId: notification.notification_id },
          'notification recorded for the notify run',
        );
      }
      return json(response.status, response.body);
    } catch (error) {
      // Clair retries a delivery that did not get a 200.
      logger.error({ err: errorMessage(error) }, 'webhook request failed');
      return json(503, JSON.stringify({ code: 'unavailable', message: 'try again later' }));
    }
  };
}

const runtime = once(() => withCheckedSecrets('clair-webhook', createRuntime(process.env, 'clair-webhook')));
const psk = once(async () => {
  const rt = await runtime();
  return clairPsk(rt.config, rt.secrets);
});

export const handler = withRequestMetrics(
  createClairWebhookHandler({ runtime, psk: () => psk() }),
  process.env.AWS_LAMBDA_FUNCTION_NAME,
);
