// The inventory on ECS documents listing several digests per container and one image under
// several names, through both sources (the Elasticsearch fake serving hash.all as the
// multi-valued keyword it is, and the NDJSON export of the same documents): one image per
// digest group keyed by the first valid digest, distinct host and container counts, the first
// <...> of an owner list, and the documents outside the window counted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { createElasticsearchClient } from '../../../../core/elasticsearch/client.ts';
import { buildInventory, type InventoryResult } from '../../../../functions/inventory/buildInventory.ts';
import { ElasticsearchSource } from '../../../../functions/inventory/ElasticsearchSource.ts';
import { offlineImageMetadata } from '../../../../functions/inventory/ImageMetadata.ts';
import { ECS_FIELDS, type InventorySource } from '../../../../functions/inventory/InventorySource.ts';
import { NdjsonFileSource } from '../../../../functions/inventory/NdjsonFileSource.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';
import {
  APP,
  APP_ALIAS,
  AS_OF,
  ecsDocuments,
  LOOKBACK_MS,
  NGINX,
  NGINX_ALIAS,
  REDIS,
  REDIS_ALIAS,
} from './ecs-fixture.ts';

const clock = new ManualClock(AS_OF);

function build(source: InventorySource): Promise<InventoryResult> {
  return buildInventory(
    { source, metadata: offlineImageMetadata, hostOwners: [], clock },
    {
      lookbackMs: LOOKBACK_MS,
      asOf: AS_OF,
      labelKeys: ['owner', 'org.opencontainers.image.authors'],
      securityContact: 'security@corp.example',
      concurrency: 2,
    },
  );
}

/** What a person reads off an item, per source. */
function view(result: InventoryResult) {
  return result.snapshot.items
    .map((i) => ({
      id: i.id,
      digest: i.digest,
      aliases: i.aliases ?? [],
      repository: i.repository,
      references: i.references,
      tags: i.tags,
      hosts: i.hosts.count,
      sampleHosts: [...i.hosts.sample].sort(),
      containers: i.containers,
      owner: i.owner.address,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe('inventory from ECS documents with multi-valued container.image.hash.all', () => {
  let fake: ElasticsearchFake;
  let dir: string;
  let fromEs: InventoryResult;
  let fromFile: InventoryResult;

  beforeAll(async () => {
    const docs = ecsDocuments();
    fake = await startElasticsearchFake({ documents: arrayDocuments(docs), now: () => AS_OF });
    dir = await mkdtemp(join(tmpdir(), 'iw-ecs-'));
    const path = join(dir, 'containers.ndjson');
    await writeFile(path, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
    fromEs = await build(
      new ElasticsearchSource({
        client: createElasticsearchClient({ node: fake.url, requestTimeoutMs: 5000 }),
        host: fake.url,
        index: 'metricbeat-*',
        fields: ECS_FIELDS,
        pageSize: 2,
        maxRetries: 0,
        clock,
      }),
    );
    fromFile = await build(new NdjsonFileSource({ path, fields: ECS_FIELDS, clock, pageSize: 2 }));
  });
  afterEach(() => {
    expect(fake.problems).toEqual([]);
  });
  afterAll(async () => {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes one image of a digest group, keyed by the first valid digest a document lists', () => {
    for (const result of [fromEs, fromFile]) {
      const items = view(result);
      expect(items.map((i) => [i.id, i.aliases])).toEqual([
        [REDIS, [REDIS_ALIAS]],
        [APP, [APP_ALIAS]],
        [NGINX, [NGINX_ALIAS]],
        ['unresolved:harbor.corp.example/team/api:2.1', []],
      ]);
    }
  });

  it('counts distinct hosts and containers across name variants and alias-only reports, never sums', () => {
    for (const result of [fromEs, fromFile]) {
      const nginx = view(result).find((i) => i.id === NGINX);
      expect(nginx).toMatchObject({
        repository: 'docker.io/library/nginx',
        hosts: 3, // web-a (c1 twice, c3), web-b, web-c
        containers: 4, // c1, c2, c3, c4
        sampleHosts: ['web-a.corp.example', 'web-b.corp.example', 'web-c.corp.example'],
      });
      expect(nginx?.references).toEqual(['docker.io/library/nginx', 'docker.io/library/nginx:1.27', 'nginx']);
      expect(nginx?.tags).toEqual(['1.27']);
      const redis = view(result).find((i) => i.id === REDIS);
      expect(redis).toMatchObject({ hosts: 3, containers: 3 });
    }
  });

  it('gives both sources the same inventory', () => {
    expect(view(fromEs)).toEqual(view(fromFile));
  });

  it('sends the owner label list to the address in its first <...>', () => {
    for (const result of [fromEs, fromFile]) {
      expect(new Set(view(result).map((i) => i.owner))).toEqual(new Set(['platform@corp.example']));
      expect(result.counts.ownerLabelsRejected).toBe(0);
    }
  });

  it('reports the invalid digest value and counts the documents outside the window', () => {
    for (const result of [fromEs, fromFile]) {
      expect(result.invalid.sample).toEqual([
        { image: 'harbor.corp.example/team/app:3.2', reason: 'invalid digest "sha256:12ab"' },
      ]);
      expect(result.counts.outsideWindow).toBe(2);
      expect(result.counts.documents).toBe(10);
    }
  });

  it('asks Elasticsearch once more only for the image no single digest covers', () => {
    const groupQueries = fake.requests.filter(
      (r) =>
        r.path.endsWith('/_search') && JSON.stringify(r.body).includes('"terms":{"container.image.hash.all"'),
    );
    expect(groupQueries.map((r) => JSON.stringify(r.body))).toEqual([expect.stringContaining(REDIS_ALIAS)]);
  });
});
