import { afterEach, describe, expect, it } from 'vitest';
import { elasticsearchFromConfig } from '../../../../core/elasticsearch/client.ts';
import { makeIssue, type SelinuxIssue } from '../../../../core/findings/SelinuxIssue.ts';
import type { ClusterEvent } from '../../../../runner/cluster/types.ts';
import { ElasticsearchFindingSink } from '../../../../runner/selinux/ElasticsearchFindingSink.ts';
import { KubeEventSink } from '../../../../runner/selinux/KubeEventSink.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';

const issues: SelinuxIssue[] = [
  makeIssue({
    check: 'level-collision',
    severity: 'Critical',
    namespace: 'a',
    subject: 's0:c1,c2',
    detail: 'a and b share s0:c1,c2',
  }),
  makeIssue({
    check: 'volume-drift',
    severity: 'Critical',
    namespace: 'b',
    node: 'n1',
    subject: '/v',
    detail: '3 files drifted',
  }),
  makeIssue({ check: 'walk-incomplete', severity: 'Medium', node: 'n1', detail: 'no namespace' }),
];

describe('KubeEventSink', () => {
  it('records one Warning Event per namespaced finding on its Namespace, up to the cap, counting failures', async () => {
    // Prepare
    const events: ClusterEvent[] = [];
    let calls = 0;
    const cluster = {
      createEvent: async (e: ClusterEvent) => {
        calls++;
        if (calls === 2) throw new Error('429 Too Many Requests');
        events.push(e);
      },
    };
    // Act
    const result = await new KubeEventSink(cluster, 10).publish(issues, { node: 'n1' });
    // Assess
    expect(result).toMatchObject({ sent: 1, failed: 1, skipped: 1 });
    expect(events[0]).toMatchObject({
      involvedObject: { kind: 'Namespace', name: 'a' },
      namespace: 'a',
      reason: 'SelinuxLevelCollision',
      type: 'Warning',
    });
  });

  it('stops at maxEvents', async () => {
    const result = await new KubeEventSink({ createEvent: async () => {} }, 1).publish(issues, {});
    expect(result).toMatchObject({ sent: 1, skipped: 2 });
  });
});

describe('ElasticsearchFindingSink against the Elasticsearch fake', () => {
  let fake: ElasticsearchFake | undefined;
  afterEach(async () => {
    const problems = [...(fake?.problems ?? [])];
    await fake?.stop();
    fake = undefined;
    // every request was one the fake understands
    expect(problems).toEqual([]);
  });

  async function sink(options: Parameters<typeof startElasticsearchFake>[0]) {
    fake = await startElasticsearchFake(options);
    const { client, host } = await elasticsearchFromConfig(
      'runner.selinux.elasticsearch',
      { node: fake.url, apiKey: 'env:ES_KEY' },
      { env: { ES_KEY: 'k3y' } },
    );
    return new ElasticsearchFindingSink({
      client,
      host,
      index: 'imagewarden-selinux',
      sleep: async () => {},
    });
  }

  it('indexes one document per finding after a 429, ids from the keys, and counts item errors', async () => {
    // Prepare
    const es = await sink({
      index: 'imagewarden-selinux',
      documents: arrayDocuments([]),
      rejectDocument: (doc) =>
        doc.check === 'walk-incomplete' ? 'failed to parse field [count]' : undefined,
    });
    fake?.inject({ kind: 'status', status: 429 }, 1);

    // Act
    const result = await es.publish(issues, { node: 'n1', at: new Date('2026-03-01T00:00:00Z') });

    // Assess
    expect(result).toMatchObject({ sent: 2, failed: 1 });
    expect(result.errors[0]).toMatch(/mapper_parsing_exception/);
    const bulks = fake?.requests.filter((r) => r.path === '/_bulk') ?? [];
    expect(bulks).toHaveLength(2);
    const indexed = fake?.indexed() ?? new Map();
    expect([...indexed.keys()]).toEqual([
      'selinux|a|level-collision|s0:c1,c2|node/n1',
      'selinux|b|volume-drift|/v',
    ]);
    expect(indexed.get('selinux|a|level-collision|s0:c1,c2|node/n1')).toMatchObject({
      kind: 'selinux',
      node: 'n1',
      lastSeen: '2026-03-01T00:00:00.000Z',
      '@timestamp': '2026-03-01T00:00:00.000Z',
    });
  });

  it('counts every finding as failed when the cluster keeps answering 503, without throwing', async () => {
    const es = await sink({ index: 'imagewarden-selinux', documents: arrayDocuments([]) });
    fake?.inject({ kind: 'status', status: 503 }, 10);
    const result = await es.publish(issues, { at: new Date() });
    expect(result).toMatchObject({ sent: 0, failed: 3 });
    expect(result.errors[0]).toMatch(/503/);
    expect(fake?.indexed().size).toBe(0);
  });
});
