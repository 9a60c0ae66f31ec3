// The inventory step through both compositions, the CLI (`imagewarden inventory`) and the
// scheduled Lambda (the inventory handler), on one Elasticsearch fake: when shards fail, the
// images they hid still run, so their policy findings and vulnerability findings are kept, and
// both compositions leave the same state behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import type { VulnerabilityFinding } from '../../../../core/findings/index.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import type { StateStore } from '../../../../core/state/StateStore.ts';
import { loadInventory } from '../../../../functions/inventory/inventoryStore.ts';
import { POLICY_COLLECTION } from '../../../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../../../functions/scan/findings.ts';
import { runImagewarden } from '../../../support/cli.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';
import { fakeSqs, offlineInventoryHandler, testRuntime } from '../handlers/support.ts';

const INDEX = 'metricbeat-8.15.0-2026.11.24';
const clock = new ManualClock('2026-11-24T09:00:00Z');
const HIDDEN = 'quay.io/team/hidden';
const SEEN = 'quay.io/team/seen';

/** ECS container documents; with 2 shards and 1 failed, the fake leaves out the first. */
function documents() {
  return [HIDDEN, SEEN].map((repository, i) => ({
    '@timestamp': new Date(clock.now().getTime() - (i + 1) * 60_000).toISOString(),
    host: { name: `node-${i + 1}` },
    container: {
      id: String(i + 1).repeat(64),
      image: {
        name: `${repository}:1.0`,
        tag: ['1.0'],
        hash: { all: [`sha256:${String(i + 1).repeat(64)}`] },
      },
      labels: { owner: 'team@example.org' },
    },
  }));
}

let fake: ElasticsearchFake | undefined;
const dirs: string[] = [];
afterEach(async () => {
  const problems = [...(fake?.problems ?? [])];
  await fake?.stop();
  fake = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  expect(problems).toEqual([]);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-partial-'));
  dirs.push(dir);
  return dir;
}

/** A vulnerability finding left by an earlier scan of the repository. */
async function seedVulnerability(store: StateStore, repository: string): Promise<void> {
  const key = `vuln|${repository}|CVE-2026-0001|openssl`;
  const finding: VulnerabilityFinding = {
    kind: 'vulnerability',
    key,
    repository,
    digests: [`sha256:${'e'.repeat(64)}`],
    severity: 'Critical',
    where: { hostCount: 1, sampleHosts: ['node-1'], containers: 1 },
    recipient: { address: 'team@example.org', rule: 'label', detail: 'owner' },
    title: 'CVE-2026-0001 in openssl 3.0.1',
    detectedAt: '2026-11-20T00:00:00.000Z',
    vulnerability: 'CVE-2026-0001',
    package: { name: 'openssl', version: '3.0.1' },
    fixedIn: '3.0.9',
    links: [],
  };
  await store.put(VULN_FINDINGS, key, finding);
}

async function state(store: StateStore) {
  const snapshot = await loadInventory(store);
  return {
    repositories: snapshot?.items.map((i) => i.repository).sort(),
    policy: (await store.list(POLICY_COLLECTION)).map((r) => r.value),
    vulnerabilities: (await store.list(VULN_FINDINGS)).map((r) => r.key),
  };
}

describe('partial shards, in the CLI and the Lambda composition', () => {
  it('keep the findings of images the failed shards hid, and both leave the same state', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      index: INDEX,
      documents: arrayDocuments(documents()),
      now: () => clock.now(),
    });
    const config = {
      inventory: { source: 'elasticsearch', elasticsearch: { node: fake.url, index: INDEX } },
      policy: { approvedRegistries: ['harbor.example.org'] },
      owners: { securityContact: 'security@example.org' },
    };
    const cliDir = await tempDir();
    const configFile = join(cliDir, 'imagewarden.json');
    await writeFile(
      configFile,
      JSON.stringify({ ...config, state: { backend: 'file', dir: join(cliDir, 'state') } }),
    );
    const cliStore = new FileStateStore(join(cliDir, 'state'));
    const runtime = testRuntime(config, { store: new FileStateStore(await tempDir()), clock });
    const handler = offlineInventoryHandler(runtime, fakeSqs());
    const cli = () => runImagewarden(['inventory', '--offline', '--config', configFile], { clock });

    // the first cycle sees every shard
    expect((await cli()).code).toBe(0);
    await handler({ source: 'imagewarden.scheduler', job: 'inventory' });
    for (const store of [cliStore, runtime.store]) {
      await seedVulnerability(store, HIDDEN);
      await seedVulnerability(store, SEEN);
    }
    const before = await state(cliStore);
    expect(before.policy.map((f) => (f as { key: string }).key)).toEqual([
      `policy|${HIDDEN}|unapproved-registry`,
      `policy|${SEEN}|unapproved-registry`,
    ]);

    // Act: the next cycle gets an answer with one of two shards failed
    fake.setShards({ total: 2, failed: 1 });
    const partial = await cli();
    const summary = await handler({ source: 'imagewarden.scheduler', job: 'inventory' });

    // Assess
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/partial shards 1\/2/);
    expect(summary).toMatchObject({ partialShards: true, findingsRetired: 0, policy: { cleared: 0 } });
    const afterCli = await state(cliStore);
    const afterLambda = await state(runtime.store);
    expect(afterCli.repositories).toEqual([SEEN]);
    expect(afterCli.policy).toEqual(before.policy);
    expect(afterCli.vulnerabilities).toEqual([
      `vuln|${HIDDEN}|CVE-2026-0001|openssl`,
      `vuln|${SEEN}|CVE-2026-0001|openssl`,
    ]);
    expect(afterLambda).toEqual(afterCli);

    // and once every shard answers again, the image that stopped running is retired in both
    fake.setShards(undefined);
    await fake.stop();
    fake = await startElasticsearchFake({
      index: INDEX,
      documents: arrayDocuments(documents().slice(1)),
      now: () => clock.now(),
    });
    const moved = {
      ...config,
      inventory: { ...config.inventory, elasticsearch: { node: fake.url, index: INDEX } },
    };
    await writeFile(
      configFile,
      JSON.stringify({ ...moved, state: { backend: 'file', dir: join(cliDir, 'state') } }),
    );
    const movedHandler = offlineInventoryHandler(
      testRuntime(moved, { store: runtime.store, clock }),
      fakeSqs(),
    );
    expect((await cli()).code).toBe(0);
    await movedHandler({ source: 'imagewarden.scheduler', job: 'inventory' });
    const complete = await state(cliStore);
    expect(complete.vulnerabilities).toEqual([`vuln|${SEEN}|CVE-2026-0001|openssl`]);
    expect(complete.policy.map((f) => (f as { key: string }).key)).toEqual([
      `policy|${SEEN}|unapproved-registry`,
    ]);
    expect(await state(runtime.store)).toEqual(complete);
  });
});
