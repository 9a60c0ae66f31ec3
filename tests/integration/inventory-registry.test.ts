// `imagewarden inventory` end to end against a real docker-registry (basic auth, tags resolved
// to digests, config blobs read for the image age) and the Elasticsearch protocol fake.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DAY_MS } from '../../core/clock.ts';
import type { PolicyFinding } from '../../core/findings/Finding.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import type { InventorySnapshot } from '../../functions/inventory/InventoryItem.ts';
import { runImagewarden } from '../support/cli.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../support/fleet-generator.ts';
import { pushImage } from '../support/images.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';

describe('inventory with docker-registry (basic auth) and the Elasticsearch fake', () => {
  let registry: TestRegistry;
  let es: ElasticsearchFake;
  let dir: string;
  let fresh: { digest: string };
  let stale: { digest: string };
  const now = Date.now();
  const at = (minutesAgo: number): string => new Date(now - minutesAgo * 60_000).toISOString();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-inventory-'));
    registry = await startRegistry({ auth: 'basic' });
    fresh = await pushImage(registry, {
      repository: 'team/fresh',
      tag: '1.0',
      created: new Date(now - DAY_MS).toISOString(),
      labels: { owner: 'fresh@example.org' },
    });
    stale = await pushImage(registry, {
      repository: 'team/stale',
      tag: '2.0',
      created: '2026-01-01T00:00:00Z',
    });
    const doc = (
      host: string,
      id: string,
      image: Record<string, unknown>,
      labels: Record<string, string>,
      minutesAgo = 30,
    ) => ({
      '@timestamp': at(minutesAgo),
      host: { name: host },
      container: { id, image, labels },
    });
    const r = registry.host;
    es = await startElasticsearchFake({
      documents: arrayDocuments([
        // tag-only report: must be resolved through the registry, then merged with the digest report
        doc(
          'web1.example.org',
          'c1',
          { name: `${r}/team/fresh:1.0`, tag: ['1.0'] },
          { owner: 'PDT <fresh@example.org>' },
        ),
        doc('web2.example.org', 'c2', { name: `${r}/team/fresh`, hash: { all: [fresh.digest] } }, {}),
        doc(
          'web2.example.org',
          'c3',
          { name: `${r}/team/stale:2.0`, hash: { all: [stale.digest] } },
          {
            org_opencontainers_image_authors: 'Stale Team <stale@example.org>',
          },
        ),
        // a registry that is down: counted, age unknown, not fatal
        doc('db1.example.org', 'c4', { name: '127.0.0.1:1/other/app:3' }, {}),
        doc('db1.example.org', 'c5', { name: 'Bad Image:latest' }, {}),
        doc('db1.example.org', 'c6', { name: `${r}/team/retired:1` }, {}, 300),
      ]),
    });
    await writeFile(join(dir, 'docker-config.json'), dockerConfigJson(registry));
    await writeFile(
      join(dir, 'config.yaml'),
      stringify({
        state: { dir: join(dir, 'state') },
        registry: {
          dockerConfig: join(dir, 'docker-config.json'),
          insecure: [registry.host, '127.0.0.1:1'],
          pingTimeout: '2s',
          retries: 0,
        },
        inventory: {
          source: 'elasticsearch',
          lookback: '2h',
          elasticsearch: { node: es.url, apiKey: 'env:ES_API_KEY', maxRetries: 1 },
        },
        owners: { hosts: { 'db*.example.org': 'dba@example.org' }, securityContact: 'security@example.org' },
        policy: { approvedRegistries: [registry.host], maxAgeDays: 30 },
      }),
    );
  });

  afterAll(async () => {
    const problems = [...(es?.problems ?? [])];
    await Promise.allSettled([es?.stop(), registry?.stop()]);
    await rm(dir, { recursive: true, force: true });
    // every request of every run was one the fake understands
    expect(problems).toEqual([]);
  });

  it('resolves, merges, ages and owns every running image, stores the results and exits 1 for the bad image string', async () => {
    // Act
    const run = await runImagewarden(['inventory', '-c', join(dir, 'config.yaml'), '--json'], {
      env: { ES_API_KEY: 'test-key' },
    });
    // Assess
    expect(run.stderr).not.toMatch(/"level":"(error|fatal)"/);
    expect(run.code).toBe(1);
    expect(es.problems).toEqual([]);
    // --json: stdout is the JSON document alone, the summary line is on stderr
    const out = JSON.parse(run.stdout) as {
      snapshot: InventorySnapshot;
      report: {
        counts: Record<string, unknown>;
        invalid: { sample: { image: string }[] };
        registriesDown: string[];
      };
      policy: { findings: PolicyFinding[]; ageUnknown: string[] };
    };
    const items = Object.fromEntries(out.snapshot.items.map((i) => [i.repository, i]));
    expect(Object.keys(items).sort()).toEqual([
      `127.0.0.1:1/other/app`,
      `${registry.host}/team/fresh`,
      `${registry.host}/team/stale`,
    ]);
    expect(items[`${registry.host}/team/fresh`]).toMatchObject({
      id: fresh.digest,
      tags: ['1.0'],
      hosts: { count: 2 },
      containers: 2,
      owner: { address: 'fresh@example.org', rule: 'label', detail: 'owner' },
    });
    expect(items[`${registry.host}/team/fresh`]?.created).toBeDefined();
    expect(items[`${registry.host}/team/stale`]).toMatchObject({
      created: '2026-01-01T00:00:00Z',
      owner: { rule: 'label', detail: 'org_opencontainers_image_authors' },
    });
    expect(items['127.0.0.1:1/other/app']).toMatchObject({
      id: 'unresolved:127.0.0.1:1/other/app:3',
      owner: { address: 'dba@example.org', rule: 'host-owner' },
    });
    expect(out.report.counts).toMatchObject({ invalid: 1, merged: 1, unresolved: 1, registriesDown: 1 });
    expect(out.report.invalid.sample[0]?.image).toBe('Bad Image:latest');
    expect(out.policy.findings.map((f) => f.key).sort()).toEqual([
      'policy|127.0.0.1:1/other/app|no-owner',
      'policy|127.0.0.1:1/other/app|unapproved-registry',
      `policy|${registry.host}/team/stale|stale-image`,
    ]);
    expect(out.policy.ageUnknown).toEqual(['127.0.0.1:1/other/app']);
    expect(run.stderr).toMatch(/^inventory: 3 images .*1 invalid images.*; stored$/m);
    const state = new FileStateStore(join(dir, 'state'));
    const stored = {
      latest: (await state.get<InventorySnapshot>('inventory', 'latest')) as InventorySnapshot,
    };
    expect(stored.latest.items).toHaveLength(3);
    const findings = Object.fromEntries(
      (await state.list<PolicyFinding>('policy-findings')).map((r) => [r.key, r.value]),
    );
    expect(findings[`policy|${registry.host}/team/stale|stale-image`]?.recipient.address).toBe(
      'stale@example.org',
    );
  });

  it('re-runs an earlier window with --as-of and stores nothing', async () => {
    // Prepare
    const asOf = at(240);
    // Act
    const run = await runImagewarden(['inventory', '-c', join(dir, 'config.yaml'), '--as-of', asOf], {
      env: { ES_API_KEY: 'test-key' },
    });
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${registry.host}/team/retired`);
    expect(run.stdout).not.toContain('team/fresh');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^inventory: 1 images .*; not stored$/);
  });

  it('exits 2 naming the key when the Elasticsearch secret is missing', async () => {
    // Act
    const run = await runImagewarden(['inventory', '-c', join(dir, 'config.yaml')], { env: {} });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ES_API_KEY');
  });
});
