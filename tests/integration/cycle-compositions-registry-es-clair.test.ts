// One scheduled cycle (inventory -> scan -> notify) through both compositions on the same kind
// of fakes and services: the CLI (`imagewarden inventory`, `scan`, `notify` from a config file)
// and the Lambda handlers (inventory -> the SQS messages it sends -> scan-worker -> notify),
// reading one Elasticsearch fake and one docker-registry, each with its own Clair v4 fake (Clair
// remembers what it indexed) and its own file state store. Both must leave the same state.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';
import { SELINUX_FINDINGS_COLLECTION } from '../../core/findings/index.ts';
import { silentLogger } from '../../core/logger.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { createInventoryHandler } from '../../functions/handlers/inventory.ts';
import type { Runtime } from '../../functions/handlers/lib/runtime.ts';
import { createNotifyHandler } from '../../functions/handlers/notify.ts';
import { createScanWorkerHandler } from '../../functions/handlers/scan-worker.ts';
import { inventoryFromConfig } from '../../functions/inventory/fromConfig.ts';
import { INVENTORY_COLLECTION } from '../../functions/inventory/inventoryStore.ts';
import { mailerFromConfig, selinuxSourceFromConfig } from '../../functions/notify/fromConfig.ts';
import { NOTIFIED_COLLECTION, OUTBOX_COLLECTION } from '../../functions/notify/types.ts';
import { POLICY_COLLECTION } from '../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../functions/scan/findings.ts';
import { scanPortsFromConfig } from '../../functions/scan/fromConfig.ts';
import { SCAN_RESULTS } from '../../functions/scan/ScanResult.ts';
import { type ClairFake, startClairFake } from '../support/clair-fake.ts';
import { runImagewarden } from '../support/cli.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../support/fleet-generator.ts';
import { type PushedImage, pushImage } from '../support/images.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';
import { fakeSqs, sqsEvent } from '../unit/functions/handlers/support.ts';

const VULNS = {
  openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  busybox: [{ name: 'CVE-2026-0005', normalizedSeverity: 'High', fixedIn: '1.37' }],
};
const INDEX = 'metricbeat-8.15.0-2026.11.24';
const COLLECTIONS = [
  INVENTORY_COLLECTION,
  POLICY_COLLECTION,
  SCAN_RESULTS,
  VULN_FINDINGS,
  SELINUX_FINDINGS_COLLECTION,
  NOTIFIED_COLLECTION,
  OUTBOX_COLLECTION,
];

describe('one cycle through the CLI and through the Lambda handlers', () => {
  const clock = new ManualClock('2026-11-24T09:00:00Z');
  let registry: TestRegistry;
  let es: ElasticsearchFake;
  const clairs: ClairFake[] = [];
  let dir: string;
  let app: PushedImage;
  let tool: PushedImage;
  let site: PushedImage;
  /** The same registry under another name: not the approved one. */
  let alias: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
    dir = await mkdtemp(join(tmpdir(), 'iw-cycle-'));
    app = await pushImage(registry, {
      repository: 'team/app',
      tag: '1.0',
      files: [{ name: 'packages.txt', content: 'openssl 3.0.1\nbusybox 1.36\n' }],
    });
    tool = await pushImage(registry, {
      repository: 'ops/tool',
      tag: '2.0',
      files: [{ name: 'packages.txt', content: 'busybox 1.35\n' }],
    });
    site = await pushImage(registry, {
      repository: 'web/site',
      tag: '1.0',
      files: [{ name: 'packages.txt', content: 'openssl 3.0.1\n' }],
    });
    alias = registry.host.replace('127.0.0.1', 'localhost');
    const running = [
      {
        host: 'node-1',
        image: `${registry.host}/team/app:1.0`,
        digest: app.digest,
        owner: 'app-team@example.org',
      },
      {
        host: 'node-2',
        image: `${registry.host}/team/app:1.0`,
        digest: app.digest,
        owner: 'app-team@example.org',
      },
      { host: 'node-2', image: `${registry.host}/ops/tool:2.0`, digest: tool.digest, owner: '' },
      {
        host: 'node-3',
        image: `${alias}/web/site:1.0`,
        digest: site.digest,
        owner: 'web@example.org',
      },
    ];
    es = await startElasticsearchFake({
      index: INDEX,
      now: () => clock.now(),
      documents: arrayDocuments(
        running.map((c, i) => ({
          '@timestamp': new Date(clock.now().getTime() - (i + 1) * 60_000).toISOString(),
          host: { name: c.host },
          container: {
            id: String(i + 1).repeat(64),
            image: { name: c.image, tag: [c.image.split(':').pop()], hash: { all: [c.digest] } },
            labels: c.owner ? { owner: c.owner } : {},
          },
        })),
      ),
    });
  }, 120_000);

  afterAll(async () => {
    const problems = [...(es?.problems ?? []), ...clairs.flatMap((c) => c.unhandled.map(String))];
    await Promise.allSettled([registry?.stop(), es?.stop(), ...clairs.map((c) => c.stop())]);
    await rm(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  /** The config both compositions run with; only where state and mail go differs. */
  async function config(name: string) {
    const clair = await startClairFake({ vulnerabilities: VULNS });
    clairs.push(clair);
    const dockerConfig = join(dir, 'docker-config.json');
    const auths = JSON.parse(dockerConfigJson(registry)) as { auths: Record<string, unknown> };
    auths.auths[alias] = auths.auths[registry.host];
    await writeFile(dockerConfig, JSON.stringify(auths));
    return {
      log: { level: 'silent' },
      state: { backend: 'file', dir: join(dir, name, 'state') },
      inventory: { source: 'elasticsearch', elasticsearch: { node: es.url, index: INDEX } },
      registry: { dockerConfig, insecure: [registry.host, alias] },
      policy: { approvedRegistries: [registry.host] },
      owners: { securityContact: 'security@example.org' },
      scan: { clair: { url: clair.url }, minSeverity: 'High' },
      notify: { transport: 'outbox', outboxDir: join(dir, name, 'outbox') },
    };
  }

  async function dump(store: StateStore) {
    const out: Record<string, unknown> = {};
    for (const collection of COLLECTIONS) {
      const records = await store.list<Record<string, unknown>>(collection);
      out[collection] = records.map(({ key, value }) =>
        // where the outbox file went is the only thing allowed to differ
        collection === OUTBOX_COLLECTION ? { key, value: { ...value, response: undefined } } : { key, value },
      );
    }
    return out;
  }

  it('leaves the same inventory, findings, scan results, notified state and outbox', async () => {
    // Prepare
    const cliConfig = await config('cli');
    const cliFile = join(dir, 'cli.json');
    await writeFile(cliFile, JSON.stringify(cliConfig));
    const lambdaConfig = await config('lambda');
    const runtime: Runtime = {
      config: parseConfig(lambdaConfig),
      logger: silentLogger(),
      store: new FileStateStore(lambdaConfig.state.dir),
      clock,
      secrets: { env: {} },
      env: {},
    };
    const sqs = fakeSqs();
    const inventory = createInventoryHandler({
      runtime: async () => runtime,
      setup: (rt) =>
        inventoryFromConfig(rt.config, { clock: rt.clock, logger: rt.logger, secrets: rt.secrets }),
      queue: () => ({ client: sqs.client, queueUrl: sqs.queueUrl }),
      scanner: async () => undefined,
    });
    const worker = createScanWorkerHandler({
      runtime: async () => runtime,
      ports: (rt) =>
        scanPortsFromConfig(rt.config, {
          secrets: rt.secrets,
          logger: rt.logger,
          store: rt.store,
          clock: rt.clock,
        }),
    });
    const notify = createNotifyHandler({
      runtime: async () => runtime,
      mailer: (rt) => mailerFromConfig(rt.config, rt.secrets),
      selinux: (rt) => selinuxSourceFromConfig(rt.config, rt.secrets),
    });

    // Act: the CLI, step by step as `imagewarden run` does
    const cli = [];
    for (const step of ['inventory', 'scan', 'notify']) {
      cli.push(await runImagewarden([step, '--config', cliFile], { clock }));
    }
    // and the Lambda functions, the scan worker fed what the inventory function enqueued
    await inventory({ source: 'imagewarden.scheduler', job: 'inventory' });
    const batch = await worker(sqsEvent(sqs.bodies.map((body, i) => ({ messageId: `m-${i}`, body }))));
    await notify({ source: 'imagewarden.scheduler', job: 'notify' });

    // Assess
    expect(cli.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(batch.batchItemFailures).toEqual([]);
    const viaCli = await dump(new FileStateStore(cliConfig.state.dir));
    const viaLambda = await dump(runtime.store);
    // what users see: the findings mailed, per recipient
    expect((viaCli[VULN_FINDINGS] as unknown[]).length).toBeGreaterThanOrEqual(3);
    // (the pushed test images carry an old creation time: stale too)
    expect((viaCli[POLICY_COLLECTION] as { key: string }[]).map((r) => r.key)).toEqual([
      `policy|${registry.host}/ops/tool|no-owner`,
      `policy|${registry.host}/ops/tool|stale-image`,
      `policy|${registry.host}/team/app|stale-image`,
      `policy|${alias}/web/site|stale-image`,
      `policy|${alias}/web/site|unapproved-registry`,
    ]);
    expect((viaCli[OUTBOX_COLLECTION] as unknown[]).length).toBeGreaterThan(0);
    expect(viaLambda).toEqual(viaCli);
    const cliMail = await readdir(cliConfig.notify.outboxDir);
    expect(await readdir(lambdaConfig.notify.outboxDir)).toEqual(cliMail);
  }, 240_000);
});
