import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeIssue, type SelinuxIssue } from '../../../../core/findings/SelinuxIssue.ts';
import type { ClusterEvent } from '../../../../runner/cluster/types.ts';
import { ElasticsearchFindingSink } from '../../../../runner/selinux/ElasticsearchFindingSink.ts';
import { KubeEventSink } from '../../../../runner/selinux/KubeEventSink.ts';

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

describe('ElasticsearchFindingSink against a real http server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(
    handler: (req: IncomingMessage, body: string) => { status: number; body: unknown },
  ): Promise<string> {
    const created = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const answer = handler(req, body);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
  }

  it('sends one _bulk with ids from the finding keys, after a 429, and counts item errors', async () => {
    // Prepare
    const seen: { auth?: string; lines: string[] }[] = [];
    let first = true;
    const url = await serve((req, body) => {
      seen.push({ auth: req.headers.authorization, lines: body.trim().split('\n') });
      if (first) {
        first = false;
        return { status: 429, body: { error: 'too many' } };
      }
      return {
        status: 200,
        body: {
          errors: true,
          items: [
            { index: { status: 201 } },
            { index: { status: 200 } },
            { index: { status: 400, error: { type: 'mapper_parsing_exception' } } },
          ],
        },
      };
    });
    const sink = new ElasticsearchFindingSink({
      node: url,
      index: 'selinux',
      apiKey: 'k3y',
      sleep: async () => {},
    });
    // Act
    const result = await sink.publish(issues, { node: 'n1', at: new Date('2026-03-01T00:00:00Z') });
    // Assess
    expect(result).toMatchObject({ sent: 2, failed: 1 });
    expect(result.errors[0]).toMatch(/mapper_parsing_exception/);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.auth).toBe('ApiKey k3y');
    const actions = seen[1]?.lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).index);
    expect(actions?.map((a: { _id: string }) => a._id)).toEqual([
      'selinux|a|level-collision|s0:c1,c2|node/n1',
      'selinux|b|volume-drift|/v',
      'selinux|node/n1|walk-incomplete',
    ]);
    expect(JSON.parse(seen[1]?.lines[1] ?? '{}')).toMatchObject({
      kind: 'selinux',
      node: 'n1',
      lastSeen: '2026-03-01T00:00:00.000Z',
    });
  });

  it('counts every finding as failed when the cluster keeps answering 503, without throwing', async () => {
    const url = await serve(() => ({ status: 503, body: { error: 'unavailable' } }));
    const result = await new ElasticsearchFindingSink({
      node: url,
      index: 'x',
      sleep: async () => {},
    }).publish(issues, { at: new Date() });
    expect(result).toMatchObject({ sent: 0, failed: 3 });
    expect(result.errors[0]).toMatch(/503/);
  });
});
