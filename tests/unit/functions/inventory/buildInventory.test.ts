import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { UpstreamError } from '../../../../core/errors.ts';
import type { ImageReference } from '../../../../core/image-reference.ts';
import { buildInventory } from '../../../../functions/inventory/buildInventory.ts';
import type { ImageMetadata } from '../../../../functions/inventory/ImageMetadata.ts';
import { InventorySnapshot } from '../../../../functions/inventory/InventoryItem.ts';
import type {
  ImageBucket,
  InventorySource,
  SourcePage,
} from '../../../../functions/inventory/InventorySource.ts';
import { StaticHostOwners } from '../../../../functions/owners/StaticHostOwners.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function bucket(image: string | null, digest: string | null, extra: Partial<ImageBucket> = {}): ImageBucket {
  return {
    image,
    digest,
    tags: [],
    documents: 4,
    hostCount: 2,
    sampleHosts: ['web1.example.org', 'web2.example.org'],
    containers: 2,
    labels: [],
    firstSeen: '2026-11-24T10:05:00.000Z',
    lastSeen: '2026-11-24T11:55:00.000Z',
    ...extra,
  };
}

function staticSource(pages: SourcePage[]): InventorySource & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    description: 'test pages',
    queries,
    window: async (q) => ({ from: new Date((q.asOf ?? NOW).getTime() - q.lookbackMs), to: q.asOf ?? NOW }),
    async *pages(q) {
      queries.push(q);
      yield* pages;
    },
    skipped: () => ({ count: 0, sample: [] }),
  };
}

interface FakeRegistry extends ImageMetadata {
  asked: string[];
}

function fakeRegistry(options: {
  down?: string[];
  tags?: Record<string, string>;
  created?: Record<string, string>;
}): FakeRegistry {
  const asked: string[] = [];
  return {
    asked,
    available: async (domain) => !(options.down ?? []).includes(domain),
    resolveDigest: async (ref: ImageReference) => {
      asked.push(`${ref.name}:${ref.tag}`);
      const digest = options.tags?.[`${ref.name}:${ref.tag}`];
      if (!digest)
        throw new UpstreamError(ref.domain, `manifest unknown ${ref.name}:${ref.tag}`, { status: 404 });
      return digest;
    },
    created: async (ref) => options.created?.[ref.digest as string],
  };
}

const options = {
  lookbackMs: 2 * 3_600_000,
  labelKeys: ['owner', 'org.opencontainers.image.authors'],
  securityContact: 'security@example.org',
  concurrency: 4,
};

describe('buildInventory', () => {
  it('counts invalid image strings with a sample and never stops for them', async () => {
    // Prepare
    const source = staticSource([
      {
        buckets: [
          bucket('Not A Valid/Image', D1),
          bucket(null, null, { documents: 3 }),
          bucket('ok/app', 'sha256:zz'),
        ],
      },
      { buckets: [bucket('harbor.example.org/ok/app:1.0', D2)] },
    ]);
    // Act
    const result = await buildInventory(
      { source, metadata: fakeRegistry({}), hostOwners: [], clock: new ManualClock(NOW) },
      options,
    );
    // Assess
    expect(result.counts.invalid).toBe(3);
    expect(result.invalid.sample.map((s) => s.image)).toEqual(['Not A Valid/Image', '(missing)', 'ok/app']);
    expect(result.invalid.sample[1]?.reason).toBe('3 document(s) without an image name');
    expect(result.snapshot.items.map((i) => i.id)).toEqual(['unresolved:docker.io/ok/app:latest', D2]);
    expect(InventorySnapshot.parse(result.snapshot)).toEqual(result.snapshot);
  });

  it('resolves tags to digests once per reference and merges buckets that are the same digest', async () => {
    // Prepare
    const registry = fakeRegistry({
      tags: { 'docker.io/library/nginx:1.27': D1 },
      created: { [D1]: '2026-11-01T00:00:00Z' },
    });
    const source = staticSource([
      {
        buckets: [
          bucket('docker.io/library/nginx', D1, {
            hostCount: 5,
            containers: 5,
            sampleHosts: ['a'],
            tags: ['1.27'],
          }),
          bucket('nginx:1.27', null, {
            hostCount: 3,
            containers: 4,
            sampleHosts: ['b'],
            firstSeen: '2026-11-24T10:01:00.000Z',
          }),
          bucket('nginx:1.27', null, { hostCount: 1, containers: 1, sampleHosts: ['c'] }),
        ],
      },
    ]);
    // Act
    const result = await buildInventory(
      { source, metadata: registry, hostOwners: [], clock: new ManualClock(NOW) },
      options,
    );
    // Assess
    expect(registry.asked).toEqual(['docker.io/library/nginx:1.27']);
    expect(result.counts.merged).toBe(2);
    expect(result.snapshot.items).toHaveLength(1);
    const item = result.snapshot.items[0];
    expect(item).toMatchObject({
      id: D1,
      digest: D1,
      repository: 'docker.io/library/nginx',
      registry: 'docker.io',
      tags: ['1.27'],
      references: ['docker.io/library/nginx', 'nginx:1.27'],
      hosts: { count: 9, sample: ['a', 'b', 'c'] },
      containers: 10,
      firstSeen: '2026-11-24T10:01:00.000Z',
      created: '2026-11-01T00:00:00Z',
    });
  });

  it('keeps the tag reference and counts it when the registry is down, so the age is unknown', async () => {
    // Prepare
    const registry = fakeRegistry({
      down: ['harbor.example.org'],
      tags: { 'harbor.example.org/team/app:2': D2 },
    });
    const source = staticSource([{ buckets: [bucket('harbor.example.org/team/app:2', null)] }]);
    // Act
    const result = await buildInventory(
      { source, metadata: registry, hostOwners: [], clock: new ManualClock(NOW) },
      options,
    );
    // Assess
    expect(registry.asked).toEqual([]);
    expect(result.registriesDown).toEqual(['harbor.example.org']);
    expect(result.unresolved).toEqual({
      count: 1,
      sample: [
        { reference: 'harbor.example.org/team/app:2', reason: 'registry harbor.example.org unreachable' },
      ],
    });
    expect(result.snapshot.items[0]).toMatchObject({
      id: 'unresolved:harbor.example.org/team/app:2',
      tags: ['2'],
    });
    expect(result.snapshot.items[0]?.digest).toBeUndefined();
    expect(result.counts.ageUnknown).toBe(1);
  });

  it('chooses owners by label (either key form), then host owner, then the security contact, and says why', async () => {
    // Prepare
    const source = staticSource([
      {
        buckets: [
          bucket('r.example.org/a', D1, {
            labels: [{ key: 'org_opencontainers_image_authors', values: ['PDT <pdt@example.com>'] }],
          }),
          bucket('r.example.org/b', D2, {
            sampleHosts: ['db1.example.org'],
            labels: [{ key: 'owner', values: ['x@example.org\r\nBcc: y@example.org'] }],
          }),
          bucket('r.example.org/c', `sha256:${'3'.repeat(64)}`, { sampleHosts: ['lost.example.org'] }),
        ],
      },
    ]);
    const hostOwners = [new StaticHostOwners({ 'db*.example.org': 'dba@example.org' })];
    // Act
    const result = await buildInventory(
      { source, metadata: fakeRegistry({}), hostOwners, clock: new ManualClock(NOW) },
      options,
    );
    // Assess
    const owners = Object.fromEntries(result.snapshot.items.map((i) => [i.repository, i.owner]));
    expect(owners).toEqual({
      'r.example.org/a': {
        address: 'pdt@example.com',
        rule: 'label',
        detail: 'org_opencontainers_image_authors',
      },
      'r.example.org/b': {
        address: 'dba@example.org',
        rule: 'host-owner',
        detail: 'db1.example.org (host glob db*.example.org)',
      },
      'r.example.org/c': {
        address: 'security@example.org',
        rule: 'security-contact',
        detail: 'owners.securityContact',
      },
    });
    expect(result.counts.owners).toEqual({ label: 1, 'host-owner': 1, 'security-contact': 1 });
    expect(result.ownerLabelsRejected.sample[0]).toMatchObject({
      repository: 'r.example.org/b',
      key: 'owner',
    });
    expect(result.snapshot.items.find((i) => i.repository === 'r.example.org/b')?.ownerCandidates).toEqual([
      { key: 'owner', value: 'x@example.org\r\nBcc: y@example.org' },
    ]);
  });

  it('passes dedotted label keys to the source and reports partial shards and directory failures', async () => {
    // Prepare
    const source = staticSource([
      {
        buckets: [bucket('r.example.org/a', D1)],
        shards: { total: 5, failed: 2, reasons: ['idx: node_not_connected_exception'] },
      },
    ]);
    const broken = {
      name: 'nivlheim',
      lookup: async () => Promise.reject(new UpstreamError('nivlheim.example.org', 'HTTP 503')),
    };
    // Act
    const result = await buildInventory(
      { source, metadata: fakeRegistry({}), hostOwners: [broken], clock: new ManualClock(NOW) },
      { ...options, asOf: new Date('2026-11-20T00:00:00Z') },
    );
    // Assess
    expect(source.queries[0]).toMatchObject({
      labelKeys: ['owner', 'org.opencontainers.image.authors', 'org_opencontainers_image_authors'],
      asOf: new Date('2026-11-20T00:00:00Z'),
    });
    expect(result.partialShards).toEqual({
      total: 5,
      failed: 2,
      reasons: ['idx: node_not_connected_exception'],
    });
    expect(result.problems).toEqual(['host owners from nivlheim: nivlheim.example.org: HTTP 503']);
    expect(result.snapshot.window).toEqual({
      from: '2026-11-19T22:00:00.000Z',
      to: '2026-11-20T00:00:00.000Z',
    });
    expect(result.snapshot.items[0]?.owner.rule).toBe('security-contact');
  });
});
