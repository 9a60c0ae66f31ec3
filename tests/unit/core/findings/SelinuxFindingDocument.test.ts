// The SELinux finding document has one writer (the node runner's Elasticsearch sink) and one
// reader (the notify step's import); both go through core/findings. These tests write with the
// runner's sink into the Elasticsearch fake and read back with the functions' source and import,
// so a change in what the writer sends fails here, not in the field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { elasticsearchFromConfig } from '../../../../core/elasticsearch/client.ts';
import {
  makeIssue,
  readSelinuxFindingDocument,
  SELINUX_FINDINGS_COLLECTION,
  type SelinuxFinding,
  SelinuxFindingDocument,
  selinuxFindingDocument,
} from '../../../../core/findings/index.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import {
  ElasticsearchSelinuxSource,
  importSelinuxFindings,
} from '../../../../functions/notify/importSelinuxFindings.ts';
import { ElasticsearchFindingSink } from '../../../../runner/selinux/ElasticsearchFindingSink.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';

const INDEX = 'imagewarden-selinux';
const clock = new ManualClock('2026-11-24T12:00:00Z');
const drift = makeIssue({
  check: 'volume-drift',
  severity: 'Critical',
  namespace: 'shop',
  node: 'node-1',
  subject: '/var/lib/kubelet/pods/p/volumes/data',
  detail: '3 files carry s0:c1,c2 instead of s0:c593,c693',
  expected: 's0:c593,c693',
  actual: ['s0:c1,c2'],
  count: 3,
});
const collision = makeIssue({
  check: 'level-collision',
  severity: 'Critical',
  namespace: 'billing',
  subject: 's0:c593,c693',
  detail: 'billing and shop share s0:c593,c693',
});

let fake: ElasticsearchFake | undefined;
let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  const problems = [...(fake?.problems ?? [])];
  await fake?.stop();
  fake = undefined;
  expect(problems).toEqual([]);
});

describe('SELinux finding document: runner writer to functions reader', () => {
  it('what the runner indexes, the notify import reads and stores as findings for the security contact', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      index: INDEX,
      documents: arrayDocuments([]),
      now: () => clock.now(),
    });
    const connection = { node: fake.url };
    const writer = await elasticsearchFromConfig('runner.selinux.elasticsearch', connection, {});
    const reader = await elasticsearchFromConfig('inventory.elasticsearch', connection, {});
    const dir = mkdtempSync(join(tmpdir(), 'iw-selinux-doc-'));
    dirs.push(dir);
    const store = new FileStateStore(dir);

    // Act
    const published = await new ElasticsearchFindingSink({ ...writer, index: INDEX }).publish(
      [drift, collision],
      { node: 'node-2', at: new Date(clock.now().getTime() - HOUR_MS) },
    );
    const imported = await importSelinuxFindings(
      {
        source: new ElasticsearchSelinuxSource(reader.client, {
          index: INDEX,
          host: reader.host,
          maxFindings: 100,
        }),
        store,
        clock,
        logger: silentLogger(),
      },
      { lookbackMs: 26 * HOUR_MS, securityContact: 'security@example.org' },
    );

    // Assess
    expect(published).toMatchObject({ sent: 2, failed: 0 });
    expect(imported).toMatchObject({ read: 2, stored: 2, invalid: 0, complete: true });
    const stored = (await store.list<SelinuxFinding>(SELINUX_FINDINGS_COLLECTION)).map((r) => r.value);
    expect(stored.map((f) => f.key).sort()).toEqual([collision.key, drift.key].sort());
    const volume = stored.find((f) => f.key === drift.key);
    expect(volume).toMatchObject({
      kind: 'selinux',
      check: 'volume-drift',
      repository: 'namespace/shop',
      recipient: { address: 'security@example.org', rule: 'security-contact' },
      where: { sampleHosts: ['node-1'] },
      detectedAt: '2026-11-24T11:00:00.000Z',
    });
    // the cluster-wide finding names the node that reported it
    expect(stored.find((f) => f.key === collision.key)?.where.sampleHosts).toEqual(['node-2']);
  });
});

describe('selinuxFindingDocument', () => {
  it('keys node-less issues by the reporting node and reads back the same issue', () => {
    const { id, document } = selinuxFindingDocument(collision, { node: 'node-2', at: clock.now() });
    expect(id).toBe(`${collision.key}|node/node-2`);
    expect(readSelinuxFindingDocument(JSON.parse(JSON.stringify(document)))).toEqual({
      issue: { ...collision, node: 'node-2' },
      lastSeen: clock.now(),
    });
  });

  it('refuses a document without the fields the reader filters and dates by', () => {
    const { document } = selinuxFindingDocument(drift, { at: clock.now() });
    const { lastSeen: _lastSeen, ...withoutLastSeen } = document;
    expect(readSelinuxFindingDocument(withoutLastSeen)).toBeUndefined();
    expect(readSelinuxFindingDocument({ ...document, kind: 'policy' })).toBeUndefined();
    expect(SelinuxFindingDocument.safeParse({ ...document, lastSeen: 'yesterday' }).success).toBe(false);
  });
});
