import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { createElasticsearchClient } from '../../../../core/elasticsearch/client.ts';
import { UpstreamError } from '../../../../core/errors.ts';
import { ElasticsearchSource } from '../../../../functions/inventory/ElasticsearchSource.ts';
import {
  ECS_FIELDS,
  type ImageBucket,
  type SourcePage,
} from '../../../../functions/inventory/InventorySource.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments, fleetDocuments, imageDigest, imageName } from '../../../support/fleet-generator.ts';

const AS_OF = new Date('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;
const LABEL_KEYS = ['owner', 'org.opencontainers.image.authors', 'org_opencontainers_image_authors'];

async function collect(pages: AsyncIterable<SourcePage>): Promise<SourcePage[]> {
  const out: SourcePage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function source(
  fake: ElasticsearchFake,
  options: { pageSize?: number; requestTimeoutMs?: number; sleeps?: number[] } = {},
) {
  return new ElasticsearchSource({
    client: createElasticsearchClient({ node: fake.url, requestTimeoutMs: options.requestTimeoutMs ?? 5000 }),
    host: fake.url,
    index: 'metricbeat-*,filebeat-*',
    fields: ECS_FIELDS,
    pageSize: options.pageSize ?? 1000,
    maxRetries: 2,
    clock: new ManualClock(AS_OF),
    sleep: async (ms) => void options.sleeps?.push(ms),
  });
}

describe('ElasticsearchSource: paging a generated fleet', () => {
  let fake: ElasticsearchFake;
  beforeAll(async () => {
    fake = await startElasticsearchFake({
      documents: fleetDocuments({
        hosts: 60,
        documents: 6000,
        images: 230,
        asOf: AS_OF,
        spanMs: 2 * HOUR,
        tagOnlyEvery: 10,
      }),
      now: () => AS_OF,
    });
  });
  afterEach(() => {
    expect(fake.problems).toEqual([]);
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('returns every image exactly once over many pages, sending back each after_key', async () => {
    // Act
    const pages = await collect(
      source(fake, { pageSize: 17 }).pages({ lookbackMs: 2 * HOUR, labelKeys: LABEL_KEYS }),
    );
    // Assess
    const buckets = pages.flatMap((p) => p.buckets);
    const ids = buckets.map((b) => b.digest ?? b.image);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(230);
    expect(buckets.filter((b) => b.digest === null)).toHaveLength(23);
    expect(buckets.reduce((sum, b) => sum + b.documents, 0)).toBe(6000);
    const composites = fake.requests
      .filter((r) => r.path.endsWith('/_search'))
      .map(
        (r) =>
          (r.body as { aggs?: { images?: { composite: { after?: unknown; sources: object[] } } } }).aggs
            ?.images,
      )
      .filter((a) => a !== undefined);
    const byDigest = composites.filter((c) => c.composite.sources.some((source) => 'digest' in source));
    const digests = buckets.flatMap((b) => (b.digest ? [b.digest] : [])).sort();
    // 207 digests in pages of 17: 13 pages, the 13th after_key answered with an empty page
    expect(byDigest.map((c) => c.composite.after)).toEqual([
      undefined,
      ...Array.from({ length: 13 }, (_, i) => ({ digest: digests[i * 17 + 16] ?? digests.at(-1) })),
    ]);
  });

  it('keeps digest-less images through missing_bucket and fills the sub-aggregations', async () => {
    // Act
    const pages = await collect(source(fake).pages({ lookbackMs: 2 * HOUR, labelKeys: LABEL_KEYS }));
    // Assess
    const buckets = pages.flatMap((p) => p.buckets);
    const tagOnly = buckets.find((b) => b.image === imageName(10, {}));
    expect(tagOnly?.digest).toBeNull();
    const one = buckets.find((b) => b.image === imageName(11, {})) as ImageBucket;
    expect(one.digest).toBe(imageDigest(11));
    expect(one.tags).toEqual(['1.1']);
    expect(one.labels).toEqual([{ key: 'owner', values: ['team11@example.org'] }]);
    expect(one.hostCount).toBeGreaterThan(0);
    expect(one.sampleHosts.length).toBe(Math.min(10, one.hostCount));
    expect(one.containers).toBe(one.documents / 2);
    expect(Date.parse(one.firstSeen as string)).toBeLessThanOrEqual(Date.parse(one.lastSeen as string));
  });

  it('queries an absolute window for --as-of', async () => {
    // Act
    const pages = await collect(
      source(fake).pages({
        lookbackMs: HOUR / 2,
        asOf: new Date(AS_OF.getTime() - HOUR),
        labelKeys: ['owner'],
      }),
    );
    // Assess
    const body = fake.requests[0]?.body as { query: unknown };
    expect(body.query).toEqual({
      bool: {
        filter: [
          { range: { '@timestamp': { gte: '2026-11-24T10:30:00.000Z', lte: '2026-11-24T11:00:00.000Z' } } },
          { regexp: { 'container.image.hash.all': 'sha256:[a-f0-9]{64}' } },
        ],
      },
    });
    const docs = pages.flatMap((p) => p.buckets).reduce((sum, b) => sum + b.documents, 0);
    expect(docs).toBeGreaterThan(1000);
    expect(docs).toBeLessThan(2000);
  });

  it('reports partial shard results on every page instead of ignoring them', async () => {
    // Prepare
    fake.setShards({ total: 5, failed: 1 });
    try {
      // Act
      const pages = await collect(source(fake).pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }));
      // Assess
      expect(pages.every((p) => p.shards?.failed === 1 && p.shards.total === 5)).toBe(true);
      expect(pages[0]?.shards?.reasons[0]).toMatch(/node_not_connected_exception/);
      expect(pages.flatMap((p) => p.buckets).reduce((s, b) => s + b.documents, 0)).toBe(4800);
    } finally {
      fake.setShards(undefined);
    }
  });

  it('retries 429 (es_rejected_execution_exception) and 503 with backoff, then completes', async () => {
    // Prepare
    const sleeps: number[] = [];
    fake.inject({ kind: 'status', status: 429 });
    fake.inject({ kind: 'status', status: 503 });
    // Act
    const pages = await collect(
      source(fake, { sleeps }).pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }),
    );
    // Assess
    expect(pages.flatMap((p) => p.buckets)).toHaveLength(230);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up with an UpstreamError naming the host and the rejection after the retries', async () => {
    // Prepare
    fake.inject({ kind: 'status', status: 429 }, 3);
    // Act
    const run = collect(source(fake).pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }));
    // Assess
    await expect(run).rejects.toThrow(UpstreamError);
    await expect(run).rejects.toThrow(/HTTP 429\): es_rejected_execution_exception/);
  });

  it('times out a hanging response and retries it', async () => {
    // Prepare
    await collect(source(fake).pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }));
    const healthy = fake.requests.filter((r) => r.path.endsWith('/_search')).length;
    fake.requests.length = 0;
    fake.inject({ kind: 'hang' });
    // Act: the hang never ends, so the timeout always fires; it is long enough that the healthy
    // pages never hit it on a loaded machine
    const pages = await collect(
      source(fake, { requestTimeoutMs: 1500 }).pages({ lookbackMs: 2 * HOUR, labelKeys: ['owner'] }),
    );
    // Assess
    expect(pages.flatMap((p) => p.buckets)).toHaveLength(230);
    expect(fake.requests.filter((r) => r.path.endsWith('/_search')).length).toBe(healthy + 1);
  });
});

describe('ElasticsearchSource: odd documents', () => {
  let fake: ElasticsearchFake;
  beforeAll(async () => {
    const t = '2026-11-24T11:30:00Z';
    fake = await startElasticsearchFake({
      now: () => AS_OF,
      documents: arrayDocuments([
        // flat dotted keys, as some shippers write them
        {
          '@timestamp': t,
          'host.name': 'h1',
          'container.id': 'c1',
          'container.image.name': 'nginx:1.27',
          'container.labels': { org_opencontainers_image_authors: 'PDT <pdt@example.com>' },
        },
        { '@timestamp': t, host: { name: 'h2' }, container: { id: 'c2' } }, // no image name
        {
          '@timestamp': '1970-01-01T00:00:00Z',
          host: { name: 'h3' },
          container: { id: 'c3', image: { name: 'old' } },
        },
        {
          '@timestamp': t,
          host: { name: ['h4', 'h5'] },
          container: { id: 'c4', image: { name: ['a', 'b'] } },
        },
      ]),
    });
  });
  afterEach(() => {
    expect(fake.problems).toEqual([]);
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('groups flat and nested fields alike, keeps image-less documents in a null bucket, drops out-of-window ones', async () => {
    // Act
    const pages = await collect(source(fake).pages({ lookbackMs: 2 * HOUR, labelKeys: LABEL_KEYS }));
    // Assess
    const buckets = pages.flatMap((p) => p.buckets);
    expect(buckets.map((b) => b.image)).toEqual([null, 'a', 'b', 'nginx:1.27']);
    expect(buckets[3]?.labels).toEqual([
      { key: 'org_opencontainers_image_authors', values: ['PDT <pdt@example.com>'] },
    ]);
    expect(buckets[1]?.hostCount).toBe(2);
    expect(fake.problems).toEqual([]);
  });

  it('fails a request the fake does not understand (the fake guards its own coverage)', async () => {
    // Prepare
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 2000 });
    // Act
    const run = client.search({ index: 'metricbeat-*', query: { term: { 'host.name': 'h1' } } });
    // Assess
    await expect(run).rejects.toThrow(/parsing_exception/);
    expect(fake.problems).toEqual(['POST /metricbeat-*/_search: not understood: query kind term']);
    fake.problems.length = 0;
  });
});
