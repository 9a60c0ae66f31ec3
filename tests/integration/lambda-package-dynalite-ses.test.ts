// The Lambda handlers as deployed: built by scripts/build.mjs, packaged by `npm run package`,
// unzipped from the packaged zips and each invoked in its own Node process (as Lambda's
// runtime does, with the environment Terraform sets) with real-shaped events
// (tests/support/lambda-package.ts), against dynalite and the SES fake: notify mails an owner through SES,
// the link in that mail acknowledges the finding through the ack bundle, and the Clair webhook
// bundle records a signed notification. Each writes its EMF metrics line.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { shortLivedToken } from '../../core/jwt.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { listStoredAcks } from '../../functions/acks/AckStore.ts';
import { PENDING_NOTIFICATIONS } from '../../functions/scan/pendingNotifications.ts';
import type { ReleaseManifest } from '../../scripts/package/manifest.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS, LOCAL_REGION } from '../support/dynalite.ts';
import {
  invokePackaged,
  lambdaRuntimeEnvironment,
  type PackagedLambdas,
  packageLambdas,
} from '../support/lambda-package.ts';
import { type SesFake, startSesFake } from '../support/ses-fake.ts';
import { scheduleEvent, urlEvent } from '../unit/functions/handlers/support.ts';
import { storeFindings, vuln } from '../unit/functions/notify/fixtures.ts';

const TABLE = 'imagewarden-bundles-it';
const ACK_KEY = 'bundle-test-ack-key-0123456789-0123456789';
const CLAIR_PSK = Buffer.from('a-pre-shared-key-of-enough-length');
const dynamo = dynaliteForSuite([TABLE]);

let packaged: PackagedLambdas;
let manifest: ReleaseManifest;
let ses: SesFake;

beforeAll(async () => {
  packaged = await packageLambdas();
  manifest = packaged.manifest;
  ses = await startSesFake({ verified: ['imagewarden@example.org'] });
}, 900_000);

afterAll(async () => {
  await ses?.stop();
  await packaged?.remove();
});

/** The environment Terraform gives every function (terraform/main.tf), pointed at the local services. */
function lambdaEnvironment(fn: string): NodeJS.ProcessEnv {
  return {
    ...lambdaRuntimeEnvironment(fn),
    AWS_ENDPOINT_URL_SESV2: ses.url,
    IMAGEWARDEN_CONFIG_JSON: JSON.stringify({ owners: { securityContact: 'security@example.org' } }),
    IMAGEWARDEN_LOG__LEVEL: 'info',
    IMAGEWARDEN_STATE__BACKEND: 'dynamodb',
    IMAGEWARDEN_STATE__TABLE: TABLE,
    IMAGEWARDEN_STATE__REGION: LOCAL_REGION,
    IMAGEWARDEN_STATE__ENDPOINT: dynamo.endpoint,
    IMAGEWARDEN_NOTIFY__TRANSPORT: 'ses',
    IMAGEWARDEN_NOTIFY__FROM: 'imagewarden@example.org',
    IMAGEWARDEN_NOTIFY__SES__CONFIGURATION_SET: 'imagewarden',
    IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY: 'env:ACK_KEY',
    IMAGEWARDEN_NOTIFY__ACK__BASE_URL: 'https://ack.example.org/',
    IMAGEWARDEN_SCAN__CLAIR__URL: 'http://clair.example.org:6060',
    IMAGEWARDEN_SCAN__CLAIR__PSK: 'env:CLAIR_PSK',
    ACK_KEY,
    CLAIR_PSK: CLAIR_PSK.toString('base64'),
  };
}

/** Invokes a packaged handler with the environment above; its result must be there. */
async function invoke(
  fn: string,
  event: unknown,
): Promise<{ result: Record<string, unknown>; metrics: Record<string, unknown>[] }> {
  const invocation = await invokePackaged(packaged, fn, event, lambdaEnvironment(fn));
  if (!invocation.result) throw new Error(`${fn} bundle threw: ${JSON.stringify(invocation.error)}`);
  return { result: invocation.result, metrics: invocation.metrics };
}

describe('the packaged Lambda handlers against dynalite and the SES fake', () => {
  it('packages the five handlers, and notify -> SES -> ack link -> ack works from the zips', async () => {
    // Prepare: an open finding for an owner, in the table the functions use
    const state = parseConfig({
      state: { backend: 'dynamodb', table: TABLE, region: LOCAL_REGION, endpoint: dynamo.endpoint },
    }).state;
    const store = createStateStore(state, { dynamodb: { credentials: LOCAL_CREDENTIALS } });
    await storeFindings(store, [
      vuln({ owner: 'imagewarden@example.org', repository: 'harbor.example.org/team/app' }),
    ]);

    // Act 1: the scheduled notify run
    const notify = await invoke('notify', scheduleEvent('notify'));

    // Assess 1: one raw message through SES, with an ack link; counts as EMF
    expect(Object.keys(manifest.functions).sort()).toEqual([
      'ack',
      'clair-webhook',
      'inventory',
      'notify',
      'scan-worker',
    ]);
    expect(ses.problems).toEqual([]);
    expect(notify.result).toMatchObject({ sent: 1, pending: 0, refused: 0 });
    expect(ses.requests.map((r) => [r.operation, r.to, r.configurationSet])).toEqual([
      ['SendEmail', ['imagewarden@example.org'], 'imagewarden'],
    ]);
    expect(notify.metrics).toEqual([
      expect.objectContaining({ FunctionName: 'imagewarden-notify', Sent: 1, RunSucceeded: 1 }),
    ]);
    const mail = await simpleParser(ses.requests[0]?.raw ?? Buffer.alloc(0));
    const link = /https:\/\/ack\.example\.org\/[^\s"<>]*t=[^\s"<>]+/.exec(String(mail.text))?.[0];
    expect(link).toBeDefined();

    // Act 2: the owner opens the link and confirms (the function URL's GET and form POST)
    const url = new URL(link ?? '');
    const token = url.searchParams.get('t') ?? '';
    const page = await invoke(
      'ack',
      urlEvent({ method: 'GET', path: url.pathname, query: url.search.slice(1) }),
    );
    const posted = await invoke(
      'ack',
      urlEvent({
        method: 'POST',
        path: url.pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ t: token, days: '14', reason: 'rebuild next week' }).toString(),
        base64: true,
      }),
    );

    // Assess 2
    expect(page.result.statusCode).toBe(200);
    expect(String(page.result.body)).toContain('<form');
    expect(posted.result.statusCode).toBe(200);
    expect((await listStoredAcks(store)).acks).toHaveLength(1);
    expect(posted.metrics).toEqual([
      expect.objectContaining({ FunctionName: 'imagewarden-ack', Requests: 1, Status200: 1 }),
    ]);
  });

  it('records a signed Clair notification through the webhook bundle and refuses an unsigned one', async () => {
    // Prepare
    const state = parseConfig({
      state: { backend: 'dynamodb', table: TABLE, region: LOCAL_REGION, endpoint: dynamo.endpoint },
    }).state;
    const store = createStateStore(state, { dynamodb: { credentials: LOCAL_CREDENTIALS } });
    const body = JSON.stringify({
      notification_id: '9b2d4f6a-1c3e-4a5b-8d7f-0e1a2b3c4d5e',
      callback:
        'http://clair.example.org:6060/notifier/api/v1/notification/9b2d4f6a-1c3e-4a5b-8d7f-0e1a2b3c4d5e',
    });

    // Act
    const unsigned = await invoke('clair-webhook', urlEvent({ method: 'POST', body }));
    const signed = await invoke(
      'clair-webhook',
      urlEvent({
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${shortLivedToken('clair-notifier', CLAIR_PSK)}` },
      }),
    );

    // Assess
    expect(unsigned.result.statusCode).toBe(401);
    expect(signed.result.statusCode).toBe(200);
    expect((await store.list(PENDING_NOTIFICATIONS)).map((p) => p.key)).toEqual([
      '9b2d4f6a-1c3e-4a5b-8d7f-0e1a2b3c4d5e',
    ]);
    expect(signed.metrics).toEqual([
      expect.objectContaining({
        FunctionName: 'imagewarden-clair-webhook',
        Requests: 1,
        Status200: 1,
        RunSucceeded: 1,
      }),
    ]);
  });
});
