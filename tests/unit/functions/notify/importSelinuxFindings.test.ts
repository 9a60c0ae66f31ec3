// The runners' SELinux findings reach the notify step through an Elasticsearch index: read the
// window, keep the store in step, never resolve anything after an incomplete read.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { createElasticsearchClient } from '../../../../core/elasticsearch/client.ts';
import type { SelinuxFinding } from '../../../../core/findings/Finding.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import {
  ElasticsearchSelinuxSource,
  importSelinuxFindings,
  type SelinuxFindingSource,
} from '../../../../functions/notify/importSelinuxFindings.ts';
import { type ElasticsearchFake, startElasticsearchFake } from '../../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../../support/fleet-generator.ts';

const clock = new ManualClock('2026-11-24T12:00:00Z');
const doc = (key: string, lastSeen: string, extra: Record<string, unknown> = {}) => ({
  kind: 'selinux',
  key,
  check: 'volume-drift',
  severity: 'Critical',
  namespace: 'shop',
  node: 'node-1',
  detail: '3 files carry s0:c1,c2 instead of s0:c593,c693',
  lastSeen,
  '@timestamp': lastSeen,
  ...extra,
});
const source = (documents: unknown[], complete = true): SelinuxFindingSource => ({
  recent: async () => ({ documents, complete }),
});

let dirs: string[] = [];
function store() {
  const dir = mkdtempSync(join(tmpdir(), 'iw-selinux-import-'));
  dirs.push(dir);
  return new FileStateStore(dir);
}
let fake: ElasticsearchFake | undefined;
afterEach(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  const problems = [...(fake?.problems ?? [])];
  await fake?.stop();
  fake = undefined;
  // every request was one the fake understands
  expect(problems).toEqual([]);
});

const options = { lookbackMs: 26 * HOUR_MS, securityContact: 'security@example.org' };

describe('importSelinuxFindings', () => {
  it('stores reported findings for the security contact and keeps their first detection time', async () => {
    // Prepare
    const state = store();
    const ports = { store: state, clock, logger: silentLogger() };
    await importSelinuxFindings(
      { ...ports, source: source([doc('selinux|shop|volume-drift', '2026-11-24T03:00:00Z')]) },
      options,
    );

    // Act: reported again later
    const result = await importSelinuxFindings(
      { ...ports, source: source([doc('selinux|shop|volume-drift', '2026-11-24T11:00:00Z')]) },
      options,
    );

    // Assess
    expect(result).toEqual({ read: 1, stored: 1, removed: 0, invalid: 0, complete: true });
    const stored = await state.get<SelinuxFinding>('selinux-findings', 'selinux|shop|volume-drift');
    expect(stored).toMatchObject({
      kind: 'selinux',
      check: 'volume-drift',
      severity: 'Critical',
      repository: 'namespace/shop',
      recipient: { address: 'security@example.org', rule: 'security-contact' },
      detectedAt: '2026-11-24T03:00:00.000Z',
    });
  });

  it('resolves findings no runner reported in the window, but only after a complete read', async () => {
    const state = store();
    const ports = { store: state, clock, logger: silentLogger() };
    await importSelinuxFindings(
      { ...ports, source: source([doc('a', '2026-11-24T03:00:00Z'), doc('b', '2026-11-24T03:00:00Z')]) },
      options,
    );

    const partial = await importSelinuxFindings(
      { ...ports, source: source([doc('a', '2026-11-24T11:00:00Z')], false) },
      options,
    );
    expect(partial.removed).toBe(0);
    expect((await state.list('selinux-findings')).map((r) => r.key)).toEqual(['a', 'b']);

    const full = await importSelinuxFindings(
      { ...ports, source: source([doc('a', '2026-11-24T11:00:00Z')]) },
      options,
    );
    expect(full.removed).toBe(1);
    expect((await state.list('selinux-findings')).map((r) => r.key)).toEqual(['a']);
  });

  it('counts documents that are not findings and stores the rest', async () => {
    const state = store();
    const result = await importSelinuxFindings(
      {
        store: state,
        clock,
        logger: silentLogger(),
        source: source([
          { garbage: true },
          doc('a', '2026-11-24T11:00:00Z', { check: 'not-a-check' }),
          doc('ok', '2026-11-24T11:00:00Z'),
        ]),
      },
      options,
    );
    expect(result).toMatchObject({ read: 3, stored: 1, invalid: 2 });
  });
});

describe('ElasticsearchSelinuxSource against the Elasticsearch fake', () => {
  it('reads only the findings reported inside the window, retrying a 429', async () => {
    // Prepare
    fake = await startElasticsearchFake({
      index: 'imagewarden-selinux',
      documents: arrayDocuments([doc('old', '2026-11-20T00:00:00Z'), doc('new', '2026-11-24T10:00:00Z')]),
      now: () => clock.now(),
    });
    fake.inject({ kind: 'status', status: 429 }, 1);
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 5000 });
    const es = new ElasticsearchSelinuxSource(client, {
      index: 'imagewarden-selinux',
      host: new URL(fake.url).host,
      maxFindings: 100,
      sleep: async () => {},
    });

    // Act
    const read = await es.recent(new Date(clock.now().getTime() - 26 * HOUR_MS));

    // Assess
    expect(read.complete).toBe(true);
    expect(read.documents.map((d) => (d as { key: string }).key)).toEqual(['new']);
    expect(fake.problems).toEqual([]);
  });

  it('says the read was incomplete when it hit its limit', async () => {
    fake = await startElasticsearchFake({
      index: 'imagewarden-selinux',
      documents: arrayDocuments([doc('a', '2026-11-24T10:00:00Z'), doc('b', '2026-11-24T10:00:00Z')]),
      now: () => clock.now(),
    });
    const client = createElasticsearchClient({ node: fake.url, requestTimeoutMs: 5000 });
    const es = new ElasticsearchSelinuxSource(client, {
      index: 'imagewarden-selinux',
      host: 'es',
      maxFindings: 2,
    });
    expect((await es.recent(new Date(0))).complete).toBe(false);
  });
});
