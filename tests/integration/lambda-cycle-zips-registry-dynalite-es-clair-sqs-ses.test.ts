// The whole scheduled cycle from the packaged zips (`npm run package`, unzipped), each handler
// in its own process with the environment terraform gives it (terraform/main.tf, lambda.tf),
// pointed at local services: the inventory function (an EventBridge Scheduler event) reads the
// Elasticsearch fake, resolves tags on a real docker-registry with credentials from its secret,
// writes the state to dynalite and puts one message per digest on the SQS fake; those messages
// reach the scan-worker function as the event source mapping delivers them; it scans through
// the Clair v4 fake; the notify function mails owners through the SES fake; an owner's link
// acknowledges a finding through the ack function's URL; the next notify sends nothing new.
// Then the scan queue misbehaving: entries SQS fails are retried, reported, and sent again by
// the next run; a run that can queue nothing fails so Lambda retries it.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { listStoredAcks } from '../../functions/acks/AckStore.ts';
import { POLICY_COLLECTION } from '../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../functions/scan/findings.ts';
import { type ClairFake, startClairFake } from '../support/clair-fake.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS, LOCAL_REGION } from '../support/dynalite.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../support/fleet-generator.ts';
import { type PushedImage, pushImage } from '../support/images.ts';
import { invokePackaged, type PackagedLambdas, packageLambdas } from '../support/lambda-package.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';
import { type SesFake, startSesFake } from '../support/ses-fake.ts';
import { type SqsFake, type SqsLambdaEvent, startSqsFake } from '../support/sqs-fake.ts';
import { scheduleEvent, urlEvent } from '../unit/functions/handlers/support.ts';

const TABLE = 'imagewarden-cycle-it';
const QUEUE = 'imagewarden-scan';
const INDEX = 'metricbeat-8.15.0-cycle';
const ACK_KEY = 'cycle-test-ack-key-0123456789-0123456789';
const CLAIR_PSK = Buffer.from('a-pre-shared-key-of-enough-length');
const VULNS = {
  openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  busybox: [{ name: 'CVE-2026-0005', normalizedSeverity: 'High', fixedIn: '1.37' }],
};
/** terraform's lambda_timeout_seconds defaults: what getRemainingTimeInMillis starts from. */
const TIMEOUT_SECONDS: Record<string, number> = { inventory: 300, 'scan-worker': 660, notify: 600, ack: 10 };
/** terraform's scan_batch_size default. */
const BATCH_SIZE = 5;
const dynamo = dynaliteForSuite([TABLE]);

let packaged: PackagedLambdas;
let registry: TestRegistry;
let es: ElasticsearchFake;
let clair: ClairFake;
let sqs: SqsFake;
let ses: SesFake;
let store: StateStore;
let images: Record<'app' | 'tool' | 'site', PushedImage>;
/** The same registry under another name: not the approved one. */
let alias: string;

beforeAll(async () => {
  packaged = await packageLambdas();
  registry = await startRegistry({ auth: 'basic' });
  alias = registry.host.replace('127.0.0.1', 'localhost');
  images = {
    app: await pushImage(registry, {
      repository: 'team/app',
      tag: '1.0',
      files: [{ name: 'packages.txt', content: 'openssl 3.0.1\nbusybox 1.36\n' }],
    }),
    tool: await pushImage(registry, {
      repository: 'ops/tool',
      tag: '2.0',
      files: [{ name: 'packages.txt', content: 'busybox 1.35\n' }],
    }),
    site: await pushImage(registry, {
      repository: 'web/site',
      tag: '1.0',
      files: [{ name: 'packages.txt', content: 'openssl 3.0.1\n' }],
    }),
  };
  const running = [
    {
      host: 'node-1',
      image: `${registry.host}/team/app:1.0`,
      digest: images.app.digest,
      owner: 'app-team@example.org',
    },
    {
      host: 'node-2',
      image: `${registry.host}/team/app:1.0`,
      digest: images.app.digest,
      owner: 'app-team@example.org',
    },
    { host: 'node-2', image: `${registry.host}/ops/tool:2.0`, digest: images.tool.digest, owner: '' },
    { host: 'node-3', image: `${alias}/web/site:1.0`, digest: images.site.digest, owner: 'web@example.org' },
  ];
  // the bundles run on the system clock: the documents are from the last minutes
  const now = Date.now();
  es = await startElasticsearchFake({
    index: INDEX,
    documents: arrayDocuments(
      running.map((c, i) => ({
        '@timestamp': new Date(now - (i + 1) * 60_000).toISOString(),
        host: { name: c.host },
        container: {
          id: String(i + 1).repeat(64),
          image: { name: c.image, tag: [c.image.split(':').pop()], hash: { all: [c.digest] } },
          labels: c.owner ? { owner: c.owner } : {},
        },
      })),
    ),
  });
  clair = await startClairFake({ vulnerabilities: VULNS, psk: CLAIR_PSK });
  sqs = await startSqsFake({ queues: [QUEUE], region: LOCAL_REGION });
  ses = await startSesFake({ verified: ['imagewarden@example.org'] });
  const state = parseConfig({
    state: { backend: 'dynamodb', table: TABLE, region: LOCAL_REGION, endpoint: dynamo.endpoint },
  }).state;
  store = createStateStore(state, { dynamodb: { credentials: LOCAL_CREDENTIALS } });
}, 900_000);

afterAll(async () => {
  const problems = [
    ...(es?.problems ?? []),
    ...(clair?.unhandled.map(String) ?? []),
    ...(sqs?.problems ?? []),
    ...(ses?.problems ?? []),
  ];
  await Promise.allSettled([registry?.stop(), es?.stop(), clair?.stop(), sqs?.stop(), ses?.stop()]);
  await packaged?.remove();
  expect(problems).toEqual([]);
});

/** The environment terraform gives a function, with the secrets' ARNs as env: references. */
function environment(fn: string): NodeJS.ProcessEnv {
  const dockerConfig = JSON.parse(dockerConfigJson(registry)) as { auths: Record<string, unknown> };
  dockerConfig.auths[alias] = dockerConfig.auths[registry.host];
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: '--enable-source-maps',
    AWS_LAMBDA_FUNCTION_NAME: `imagewarden-${fn}`,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // the SDK's service-specific endpoint variables: the AWS APIs are the fakes
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_SESV2: ses.url,
    IMAGEWARDEN_CONFIG_JSON: JSON.stringify({
      owners: { securityContact: 'security@example.org' },
      policy: { approvedRegistries: [registry.host] },
      registry: { insecure: [registry.host, alias] },
      inventory: { elasticsearch: { index: INDEX } },
      scan: { minSeverity: 'High' },
    }),
    IMAGEWARDEN_LOG__LEVEL: 'info',
    IMAGEWARDEN_STATE__BACKEND: 'dynamodb',
    IMAGEWARDEN_STATE__TABLE: TABLE,
    IMAGEWARDEN_STATE__REGION: LOCAL_REGION,
    IMAGEWARDEN_STATE__ENDPOINT: dynamo.endpoint,
    IMAGEWARDEN_NOTIFY__TRANSPORT: 'ses',
    IMAGEWARDEN_NOTIFY__FROM: 'imagewarden@example.org',
    IMAGEWARDEN_NOTIFY__SEND_RATE: '1',
    IMAGEWARDEN_NOTIFY__SES__CONFIGURATION_SET: 'imagewarden',
    IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY: 'env:ACK_KEY',
    IMAGEWARDEN_INVENTORY__SOURCE: 'elasticsearch',
    IMAGEWARDEN_INVENTORY__ELASTICSEARCH__NODE: es.url,
    IMAGEWARDEN_SCAN__CLAIR__URL: clair.url,
    IMAGEWARDEN_SCAN__CLAIR__PSK: 'env:CLAIR_PSK',
    ACK_KEY,
    CLAIR_PSK: CLAIR_PSK.toString('base64'),
    ...(fn === 'inventory' ? { SCAN_QUEUE_URL: sqs.queueUrl(QUEUE) } : {}),
    ...(fn === 'inventory' || fn === 'scan-worker'
      ? {
          REGISTRY_DOCKER_CONFIG_SECRET: 'env:REGISTRY_DOCKER_CONFIG',
          REGISTRY_DOCKER_CONFIG: JSON.stringify(dockerConfig),
        }
      : {}),
    ...(fn === 'notify' ? { IMAGEWARDEN_NOTIFY__ACK__BASE_URL: 'https://ack.example.org/' } : {}),
  };
}

const invoke = (fn: string, event: unknown) =>
  invokePackaged(packaged, fn, event, environment(fn), { timeoutSeconds: TIMEOUT_SECONDS[fn] ?? 60 });

/** The event source mapping: batches of the queue to the scan worker until it is empty. */
async function deliverScanQueue() {
  const batches: SqsLambdaEvent[] = [];
  const failures: string[] = [];
  const metrics: Record<string, unknown>[] = [];
  // bounded: a message failing every time would otherwise loop (SQS moves it to the DLQ)
  for (let round = 0; round < 10 && sqs.visible(QUEUE).length > 0; round++) {
    const event = sqs.receive(QUEUE, BATCH_SIZE);
    batches.push(event);
    const worker = await invoke('scan-worker', event);
    metrics.push(...worker.metrics);
    const response = worker.result as { batchItemFailures: { itemIdentifier: string }[] } | undefined;
    failures.push(...(response?.batchItemFailures.map((f) => f.itemIdentifier) ?? ['(invocation failed)']));
    sqs.settle(event, response ?? 'error');
  }
  return { batches, failures, metrics };
}

/** The scan worker's counts, per invocation. */
function scanWorkerMetrics(metrics: Record<string, unknown>[]) {
  return metrics.map((m) => ({ Messages: m.Messages, Retried: m.Retried, Scanned: m.Scanned }));
}

/** What a mail tells its reader: each image heading and each finding line, up to a policy rule's name. */
function findingLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('== ') || line.startsWith('- ['))
    .map((line) =>
      (line.startsWith('- ') ? line.slice(2) : line).replace(/^(\[\w+\] POLICY [\w-]+):.*$/, '$1'),
    );
}

/** Each mail sent so far: recipient and text. */
async function mails(): Promise<Array<{ to: string; text: string }>> {
  return Promise.all(
    ses.requests.map(async (r) => ({
      to: r.to.join(','),
      text: String((await simpleParser(r.raw ?? Buffer.alloc(0))).text),
    })),
  );
}

describe('the cycle from the packaged zips against docker-registry, dynalite and the ES, Clair, SQS and SES fakes', () => {
  it('inventory -> SQS -> scan-worker -> notify -> ack link -> notify sends nothing new', async () => {
    // Act 1: the hourly inventory run, then the scan queue drained into the scan worker
    const inventory = await invoke('inventory', scheduleEvent('inventory'));
    const queued = sqs.visible(QUEUE).map((m) => JSON.parse(m.body) as { digest: string });
    const scans = await deliverScanQueue();

    // Assess 1
    expect(inventory.error).toBeUndefined();
    expect(inventory.result).toMatchObject({
      images: 3,
      digests: 3,
      enqueued: 3,
      enqueueFailed: 0,
      unresolved: 0,
    });
    expect(queued.map((m) => m.digest).sort()).toEqual(
      [images.app.digest, images.tool.digest, images.site.digest].sort(),
    );
    expect(scans.batches.map((b) => b.Records.length)).toEqual([3]);
    expect(scans.failures).toEqual([]);
    expect(sqs.visible(QUEUE)).toEqual([]);
    expect(clair.posted.length).toBe(3);
    expect((await store.list(VULN_FINDINGS)).map((r) => r.key)).toEqual([
      `vuln|${registry.host}/ops/tool|CVE-2026-0005|busybox`,
      `vuln|${registry.host}/team/app|CVE-2026-0001|openssl`,
      `vuln|${registry.host}/team/app|CVE-2026-0005|busybox`,
      `vuln|${alias}/web/site|CVE-2026-0001|openssl`,
    ]);
    expect((await store.list(POLICY_COLLECTION)).map((r) => r.key)).toEqual([
      `policy|${registry.host}/ops/tool|no-owner`,
      `policy|${registry.host}/ops/tool|stale-image`,
      `policy|${registry.host}/team/app|stale-image`,
      `policy|${alias}/web/site|stale-image`,
      `policy|${alias}/web/site|unapproved-registry`,
    ]);
    expect(inventory.metrics).toEqual([
      expect.objectContaining({ FunctionName: 'imagewarden-inventory', Enqueued: 3, RunSucceeded: 1 }),
    ]);
    expect(scanWorkerMetrics(scans.metrics)).toEqual([{ Messages: 3, Retried: 0, Scanned: 3 }]);

    // Act 2: the daily notify run
    const notify = await invoke('notify', scheduleEvent('notify'));
    const sent = await mails();

    // Assess 2: one mail per recipient, naming its images, vulnerabilities and policy findings
    expect(notify.result).toMatchObject({ sent: 3, pending: 0, refused: 0 });
    expect(Object.fromEntries(sent.map((m) => [m.to, findingLines(m.text)]))).toEqual({
      'app-team@example.org': [
        `== ${registry.host}/team/app`,
        '[new] CRITICAL CVE-2026-0001 in openssl 3.0.1 -> 3.0.9',
        '[new] HIGH CVE-2026-0005 in busybox 1.36 -> 1.37',
        '[new] POLICY stale-image',
      ],
      'security@example.org': [
        `== ${registry.host}/ops/tool`,
        '[new] HIGH CVE-2026-0005 in busybox 1.35 -> 1.37',
        '[new] POLICY stale-image',
        '[new] POLICY no-owner',
      ],
      'web@example.org': [
        `== ${alias}/web/site`,
        '[new] CRITICAL CVE-2026-0001 in openssl 3.0.1 -> 3.0.9',
        '[new] POLICY unapproved-registry',
        '[new] POLICY stale-image',
      ],
    });
    expect(
      ses.requests.every((r) => r.from === 'imagewarden@example.org' && r.configurationSet === 'imagewarden'),
    ).toBe(true);

    // Act 3: the app team opens the link of the critical finding and confirms
    const appMail = sent.find((m) => m.to === 'app-team@example.org')?.text ?? '';
    const link = new URL(/Acknowledge: (https:\/\/ack\.example\.org\/\S+)/.exec(appMail)?.[1] ?? '');
    const page = await invoke(
      'ack',
      urlEvent({ method: 'GET', path: link.pathname, query: link.search.slice(1) }),
    );
    const posted = await invoke(
      'ack',
      urlEvent({
        method: 'POST',
        path: link.pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          t: link.searchParams.get('t') ?? '',
          days: '14',
          reason: 'rebuild next week',
        }).toString(),
        base64: true,
      }),
    );

    // Assess 3
    expect(page.result).toMatchObject({ statusCode: 200 });
    expect(String(page.result?.body)).toContain('CVE-2026-0001');
    expect(posted.result).toMatchObject({ statusCode: 200 });
    expect((await listStoredAcks(store)).acks).toEqual([
      expect.objectContaining({
        scope: {
          repository: `${registry.host}/team/app`,
          vulnerability: 'CVE-2026-0001',
          package: 'openssl',
        },
        reason: 'rebuild next week',
      }),
    ]);

    // Act 4: the next notify run
    const again = await invoke('notify', scheduleEvent('notify'));

    // Assess 4: nothing new to tell anyone
    expect(again.result).toMatchObject({ sent: 0, pending: 0, refused: 0 });
    expect(ses.requests).toHaveLength(3);
  });

  it('retries an entry SQS fails, reports one that keeps failing, queues it next run, and fails a run that queues nothing', async () => {
    // Prepare: SQS fails the app's entry once and the tool's every time (server side)
    const internal = {
      Code: 'InternalError',
      Message: 'We encountered an internal error. Please try again.',
      SenderFault: false,
    };
    let appRefusals = 1;
    sqs.failEntries((body) => {
      if (body.includes(images.tool.digest)) return internal;
      if (body.includes(images.app.digest) && appRefusals-- > 0) return internal;
      return undefined;
    });
    const callsBefore = sqs.calls.length;

    // Act 1
    const degraded = await invoke('inventory', scheduleEvent('inventory'));

    // Assess 1: two queued (one after a retry), the third reported by digest after 3 attempts
    expect(degraded.result).toMatchObject({ digests: 3, enqueued: 2, enqueueFailed: 1 });
    expect(sqs.calls.slice(callsBefore).map((c) => c.outcome)).toEqual([
      { successful: 1, failed: 2 },
      { successful: 1, failed: 1 },
      { successful: 0, failed: 1 },
    ]);
    expect(
      sqs
        .visible(QUEUE)
        .map((m) => (JSON.parse(m.body) as { digest: string }).digest)
        .sort(),
    ).toEqual([images.app.digest, images.site.digest].sort());
    expect(degraded.logs.filter((l) => l.msg === 'scan message not enqueued')).toEqual([
      expect.objectContaining({
        level: 'warn',
        digest: images.tool.digest,
        reason: expect.stringContaining('InternalError'),
      }),
    ]);
    expect(degraded.logs.find((l) => l.msg === 'inventory run finished')).toMatchObject({
      level: 'warn',
      enqueueFailed: 1,
    });
    expect(degraded.metrics).toEqual([
      expect.objectContaining({ Enqueued: 2, EnqueueFailed: 1, RunSucceeded: 1 }),
    ]);

    // Act 2: SQS is well again; the next hourly run, then the scan worker
    sqs.failEntries(undefined);
    const next = await invoke('inventory', scheduleEvent('inventory'));
    const queued = sqs.visible(QUEUE).map((m) => (JSON.parse(m.body) as { digest: string }).digest);
    const scans = await deliverScanQueue();

    // Assess 2: the tool's digest was not lost: queued by the next run and scanned
    expect(next.result).toMatchObject({ enqueued: 3, enqueueFailed: 0 });
    expect(queued.filter((d) => d === images.tool.digest)).toHaveLength(1);
    expect(scans.failures).toEqual([]);
    expect(sqs.visible(QUEUE)).toEqual([]);

    // Act 3: SQS fails every entry
    sqs.failEntries(() => internal);
    const nothing = await invoke('inventory', scheduleEvent('inventory'));
    sqs.failEntries(undefined);

    // Assess 3: the invocation fails (Lambda retries it, the error alarm counts it), no heartbeat
    expect(nothing.error).toEqual({
      errorType: 'UpstreamError',
      errorMessage: expect.stringContaining('no scan message could be enqueued (InternalError'),
    });
    expect(nothing.metrics).toEqual([]);
    expect(sqs.visible(QUEUE)).toEqual([]);
  });
});
