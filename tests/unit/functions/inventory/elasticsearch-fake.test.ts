// The Elasticsearch fake's own corners that the inventory relies on, checked with the real
// 8.x client: composite ordering with missing buckets, top_hits, date math, scroll, and an
// after_key that is not the last bucket's key.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { createElasticsearchClient } from '../../../../core/elasticsearch/client.ts';
import { ElasticsearchSource } from '../../../../functions/inventory/ElasticsearchSource.ts';
import { ECS_FIELDS } from '../../../../functions/inventory/InventorySource.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments, fleetDocuments } from '../../../support/fleet-generator.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
let fake: ElasticsearchFake | undefined;
afterEach(async () => {
  expect(fake?.problems ?? []).toEqual([]);
  await fake?.stop();
  fake = undefined;
});

const doc = (minutesAgo: number, host: string, image?: string, digest?: string) => ({
  '@timestamp': new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  host: { name: host },
  container: {
    id: `${host}-${image}`,
    image: { ...(image ? { name: image } : {}), ...(digest ? { hash: { all: [digest] } } : {}) },
  },
});

describe('Elasticsearch fake', () => {
  it('orders composite keys with missing buckets first, serves top_hits, and applies now-based date math', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      now: () => NOW,
      documents: arrayDocuments([
        doc(10, 'h1', 'b', 'sha256:2'),
        doc(20, 'h2', 'b'),
        doc(30, 'h3', 'a', 'sha256:1'),
        doc(200, 'h4', 'c'),
        doc(5, 'h5'),
      ]),
    });
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 2000 });
    // Act
    const response = await client.search({
      index: 'metricbeat-*',
      size: 0,
      query: { bool: { filter: [{ range: { '@timestamp': { gte: 'now-2h', lte: 'now' } } }] } },
      aggs: {
        images: {
          composite: {
            size: 10,
            sources: [
              { image: { terms: { field: 'container.image.name', missing_bucket: true } } },
              { digest: { terms: { field: 'container.image.hash.all', missing_bucket: true } } },
            ],
          },
          aggs: { latest: { top_hits: { size: 1 } }, newest: { max: { field: '@timestamp' } } },
        },
      },
    });
    // Assess
    const images = (
      response.aggregations as {
        images: {
          buckets: {
            key: unknown;
            latest: { hits: { hits: { _source: unknown }[] } };
            newest: { value_as_string: string };
          }[];
        };
      }
    ).images;
    expect(images.buckets.map((b) => b.key)).toEqual([
      { image: null, digest: null },
      { image: 'a', digest: 'sha256:1' },
      { image: 'b', digest: null },
      { image: 'b', digest: 'sha256:2' },
    ]);
    expect(images.buckets[1]?.latest.hits.hits[0]?._source).toMatchObject({ host: { name: 'h3' } });
    expect(images.buckets[3]?.newest.value_as_string).toBe('2026-11-24T11:50:00.000Z');
  });

  it('puts a document in one composite bucket per value of a multi-valued field, as terms sources do', async () => {
    // Prepare: one document listing two digests, in an order that is not sorted
    fake = await startElasticsearchFake({
      now: () => NOW,
      documents: arrayDocuments([
        {
          '@timestamp': NOW.toISOString(),
          host: { name: 'h1' },
          container: { id: 'c1', image: { name: 'nginx', hash: { all: ['sha256:9', 'sha256:1', 'bad'] } } },
        },
        {
          '@timestamp': NOW.toISOString(),
          host: { name: 'h2' },
          container: { id: 'c2', image: { name: 'x' } },
        },
        { '@timestamp': '2020-01-01T00:00:00Z', host: { name: 'h3' }, container: { id: 'c3' } },
      ]),
    });
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 2000 });
    // Act
    const response = (await client.search({
      index: 'metricbeat-*',
      size: 0,
      track_total_hits: true,
      query: {
        bool: {
          filter: [{ range: { '@timestamp': { gte: 'now-2h' } } }],
          must_not: [{ regexp: { 'container.image.name': 'x' } }],
        },
      },
      aggs: {
        images: {
          composite: { size: 10, sources: [{ digest: { terms: { field: 'container.image.hash.all' } } }] },
          aggs: {
            co: { terms: { field: 'container.image.hash.all', size: 10 } },
            sample: { top_hits: { size: 1, _source: { includes: ['container.image.hash.all'] } } },
          },
        },
        hosts: { cardinality: { field: 'host.name' } },
      },
    })) as unknown as {
      hits: { total: { value: number; relation: string } };
      aggregations: {
        images: {
          buckets: { key: unknown; doc_count: number; sample: { hits: { hits: { _source: unknown }[] } } }[];
        };
        hosts: { value: number };
      };
    };
    // Assess
    expect(response.hits.total).toEqual({ value: 1, relation: 'eq' });
    expect(response.aggregations.hosts.value).toBe(1);
    const buckets = response.aggregations.images.buckets;
    expect(buckets.map((b) => [b.key, b.doc_count])).toEqual([
      [{ digest: 'bad' }, 1],
      [{ digest: 'sha256:1' }, 1],
      [{ digest: 'sha256:9' }, 1],
    ]);
    // _source keeps the shipper's order and only the included field
    expect(buckets[0]?.sample.hits.hits[0]?._source).toEqual({
      container: { image: { hash: { all: ['sha256:9', 'sha256:1', 'bad'] } } },
    });
  });

  it('scrolls every matching document once and frees the context', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      now: () => NOW,
      documents: fleetDocuments({ hosts: 5, documents: 95, images: 3, asOf: NOW, spanMs: 3_600_000 }),
    });
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 2000 });
    // Act
    let page = await client.search({ index: 'metricbeat-*', scroll: '1m', size: 20, sort: ['_doc'] });
    const ids: string[] = [];
    while (page.hits.hits.length > 0) {
      ids.push(...page.hits.hits.map((h) => h._id as string));
      page = await client.scroll({ scroll_id: page._scroll_id as string, scroll: '1m' });
    }
    const cleared = await client.clearScroll({ scroll_id: page._scroll_id as string });
    // Assess
    expect(new Set(ids).size).toBe(95);
    expect(cleared.num_freed).toBe(1);
  });

  it('can return an after_key beyond the last bucket shown; the source follows after_key and sees no duplicates', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      now: () => NOW,
      afterKeyBeyondLastBucket: true,
      documents: fleetDocuments({ hosts: 20, documents: 600, images: 50, asOf: NOW, spanMs: 3_600_000 }),
    });
    const source = new ElasticsearchSource({
      client: createElasticsearchClient({ node: fake.url, requestTimeoutMs: 2000 }),
      host: 'fake',
      index: 'metricbeat-*',
      fields: ECS_FIELDS,
      pageSize: 7,
      maxRetries: 0,
      clock: new ManualClock(NOW),
    });
    // Act
    const images: (string | null)[] = [];
    for await (const p of source.pages({ lookbackMs: 7_200_000, labelKeys: [] }))
      images.push(...p.buckets.map((b) => b.image));
    // Assess: 50 images in pages of 7: the 7 full pages each hide one bucket.
    expect(images).toHaveLength(50 - 7);
    expect(new Set(images).size).toBe(images.length);
  });
});
