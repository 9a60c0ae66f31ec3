// The deployed cycle for integration tests: the five packaged Lambda zips (tests/support/
// lambda-package.ts), each invoked in its own process with the environment terraform gives it
// (terraform/main.tf, lambda.tf) pointed at local services: a real docker-registry holding four
// images (its credentials in the registry secret), an Elasticsearch fake reporting them running
// (one under a second, unapproved registry name), the Clair v4 fake with a vulnerability in
// packages of three of them (the fourth, fresh and owned, has no finding at all), dynalite for
// the state, the SQS fake for the scan queue, the SES fake for mail, and a function URL in
// front of the Clair webhook function for the Clair fake's notifier to call.
// deployedCycleForSuite starts all of it for a test file and stops it after.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { type ClairFake, type FakeVulnerability, startClairFake } from './clair-fake.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS, LOCAL_REGION } from './dynalite.ts';
import { type ElasticsearchFake, startElasticsearchFake } from './elasticsearch-fake.ts';
import { arrayDocuments } from './fleet-generator.ts';
import { type PushedImage, pushImage } from './images.ts';
import { type FunctionUrl, startFunctionUrl } from './lambda-function-url.ts';
import {
  type Invocation,
  invokePackaged,
  lambdaRuntimeEnvironment,
  type PackagedLambdas,
  packageLambdas,
} from './lambda-package.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from './registry.ts';
import { type SesFake, startSesFake } from './ses-fake.ts';
import { type SqsFake, type SqsLambdaEvent, startSqsFake } from './sqs-fake.ts';

export const SCAN_QUEUE = 'imagewarden-scan';
const INDEX = 'metricbeat-8.15.0-cycle';
const ACK_KEY = 'cycle-test-ack-key-0123456789-0123456789';
const CLAIR_PSK = Buffer.from('a-pre-shared-key-of-enough-length');
const VULNS: Record<string, FakeVulnerability[]> = {
  openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  busybox: [{ name: 'CVE-2026-0005', normalizedSeverity: 'High', fixedIn: '1.37' }],
};
/** terraform's lambda_timeout_seconds defaults: what getRemainingTimeInMillis answers. */
const TIMEOUT_SECONDS: Record<string, number> = {
  inventory: 300,
  'scan-worker': 660,
  notify: 600,
  ack: 10,
  'clair-webhook': 60,
};
/** terraform's scan_batch_size default. */
const BATCH_SIZE = 5;

export interface DeployedCycle {
  registry: TestRegistry;
  /** The same registry under another name: not the approved one. */
  alias: string;
  images: Record<'app' | 'tool' | 'site' | 'db', PushedImage>;
  es: ElasticsearchFake;
  clair: ClairFake;
  /** The Clair fake's vulnerability DB (package name -> vulnerabilities): add to it to model a feed update. */
  clairDatabase: Record<string, FakeVulnerability[]>;
  sqs: SqsFake;
  ses: SesFake;
  /** The functions' state table, read as the CLI would. */
  store: StateStore;
  invoke(fn: string, event: unknown): Promise<Invocation>;
  /** The Clair webhook function behind a function URL, for Clair's notifier to call. */
  webhookUrl: FunctionUrl;
  /** The digests of the messages waiting on the scan queue. */
  queuedDigests(): string[];
  /** The event source mapping: batches of the scan queue to the scan worker until it is empty. */
  deliverScanQueue(): Promise<{
    batches: SqsLambdaEvent[];
    failures: string[];
    metrics: Record<string, unknown>[];
  }>;
  /** Each mail sent so far: recipient and text. */
  mails(): Promise<Array<{ to: string; text: string }>>;
}

/** The deployed cycle for the calling test file; its members are there inside tests, not at load. */
export function deployedCycleForSuite(table: string): DeployedCycle {
  const dynamo = dynaliteForSuite([table]);
  const cycle = {} as DeployedCycle;
  let packaged: PackagedLambdas | undefined;

  beforeAll(async () => {
    packaged = await packageLambdas();
    const registry = await startRegistry({ auth: 'basic' });
    const alias = registry.host.replace('127.0.0.1', 'localhost');
    /** An image whose one file lists its packages, as the Clair fake's indexer reads them. */
    const withPackages = (repository: string, tag: string, packages: string) =>
      pushImage(registry, { repository, tag, files: [{ name: 'packages.txt', content: packages }] });
    const images = {
      app: await withPackages('team/app', '1.0', 'openssl 3.0.1\nbusybox 1.36\n'),
      tool: await withPackages('ops/tool', '2.0', 'busybox 1.35\n'),
      site: await withPackages('web/site', '1.0', 'openssl 3.0.1\n'),
      // fresh, owned, approved and with no known vulnerability: nothing to tell its owner yet
      db: await pushImage(registry, {
        repository: 'team/db',
        tag: '1.0',
        created: new Date(Date.now() - 3_600_000).toISOString(),
        files: [{ name: 'packages.txt', content: 'zlib 1.3\n' }],
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
      {
        host: 'node-3',
        image: `${alias}/web/site:1.0`,
        digest: images.site.digest,
        owner: 'web@example.org',
      },
      {
        host: 'node-3',
        image: `${registry.host}/team/db:1.0`,
        digest: images.db.digest,
        owner: 'db-team@example.org',
      },
    ];
    // the bundles run on the system clock: the documents are from the last minutes
    const now = Date.now();
    const es = await startElasticsearchFake({
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
    const clairDatabase = structuredClone(VULNS);
    const state = parseConfig({
      state: { backend: 'dynamodb', table, region: LOCAL_REGION, endpoint: dynamo.endpoint },
    }).state;
    Object.assign(cycle, {
      registry,
      alias,
      images,
      es,
      clairDatabase,
      clair: await startClairFake({ vulnerabilities: clairDatabase, psk: CLAIR_PSK }),
      sqs: await startSqsFake({ queues: [SCAN_QUEUE], region: LOCAL_REGION }),
      ses: await startSesFake({ verified: ['imagewarden@example.org'] }),
      store: createStateStore(state, { dynamodb: { credentials: LOCAL_CREDENTIALS } }),
    });
    cycle.webhookUrl = await startFunctionUrl((event) => cycle.invoke('clair-webhook', event));
  }, 900_000);

  afterAll(async () => {
    const { registry, es, clair, sqs, ses } = cycle;
    const problems = [
      ...(es?.problems ?? []),
      ...(clair?.unhandled.map(String) ?? []),
      ...(sqs?.problems ?? []),
      ...(ses?.problems ?? []),
    ];
    await Promise.allSettled([
      registry?.stop(),
      es?.stop(),
      clair?.stop(),
      sqs?.stop(),
      ses?.stop(),
      cycle.webhookUrl?.stop(),
    ]);
    await packaged?.remove();
    expect(problems).toEqual([]);
  });

  /** The environment terraform gives a function, with env: references where it gives secret ARNs. */
  const environment = (fn: string): NodeJS.ProcessEnv => {
    const { registry, alias, es, clair, sqs, ses } = cycle;
    const dockerConfig = JSON.parse(dockerConfigJson(registry)) as { auths: Record<string, unknown> };
    dockerConfig.auths[alias] = dockerConfig.auths[registry.host];
    return {
      ...lambdaRuntimeEnvironment(fn),
      // the SDK's service-specific endpoint variables: the AWS APIs are the fakes. SQSClient
      // sends to the host of the QueueUrl it is given whatever this says (its queueUrlMiddleware,
      // which warns when they differ), so SCAN_QUEUE_URL names the fake too, as in AWS it names
      // the regional endpoint.
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
      IMAGEWARDEN_STATE__TABLE: table,
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
      ...(fn === 'inventory' ? { SCAN_QUEUE_URL: sqs.queueUrl(SCAN_QUEUE) } : {}),
      ...(fn === 'inventory' || fn === 'scan-worker'
        ? {
            REGISTRY_DOCKER_CONFIG_SECRET: 'env:REGISTRY_DOCKER_CONFIG',
            REGISTRY_DOCKER_CONFIG: JSON.stringify(dockerConfig),
          }
        : {}),
      ...(fn === 'notify' ? { IMAGEWARDEN_NOTIFY__ACK__BASE_URL: 'https://ack.example.org/' } : {}),
    };
  };

  cycle.invoke = (fn, event) => {
    if (!packaged) throw new Error('the packaged functions are not there (use invoke inside tests)');
    return invokePackaged(packaged, fn, event, environment(fn), {
      timeoutSeconds: TIMEOUT_SECONDS[fn] ?? 60,
    });
  };
  cycle.queuedDigests = () =>
    cycle.sqs.visible(SCAN_QUEUE).map((m) => (JSON.parse(m.body) as { digest: string }).digest);
  cycle.deliverScanQueue = async () => {
    const { sqs } = cycle;
    const batches: SqsLambdaEvent[] = [];
    const failures: string[] = [];
    const metrics: Record<string, unknown>[] = [];
    // bounded: a message failing every time would otherwise loop (SQS moves it to the DLQ)
    for (let round = 0; round < 10 && sqs.visible(SCAN_QUEUE).length > 0; round++) {
      const event = sqs.receive(SCAN_QUEUE, BATCH_SIZE);
      batches.push(event);
      const worker = await cycle.invoke('scan-worker', event);
      metrics.push(...worker.metrics);
      const response = worker.result as { batchItemFailures: { itemIdentifier: string }[] } | undefined;
      failures.push(...(response?.batchItemFailures.map((f) => f.itemIdentifier) ?? ['(invocation failed)']));
      sqs.settle(event, response ?? 'error');
    }
    return { batches, failures, metrics };
  };
  cycle.mails = () =>
    Promise.all(
      cycle.ses.requests.map(async (r) => ({
        to: r.to.join(','),
        text: String((await simpleParser(r.raw ?? Buffer.alloc(0))).text),
      })),
    );
  return cycle;
}
