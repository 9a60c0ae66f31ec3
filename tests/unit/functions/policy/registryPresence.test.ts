import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../core/errors.ts';
import type { ImageReference } from '../../../../core/image-reference.ts';
import type { ImageMetadata } from '../../../../functions/inventory/ImageMetadata.ts';
import type { InventoryItem } from '../../../../functions/inventory/InventoryItem.ts';
import { checkRegistryPresence } from '../../../../functions/policy/registryPresence.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

function item(repository: string, digest: string | undefined, aliases: string[] = []): InventoryItem {
  const registry = repository.split('/')[0] as string;
  return {
    id: digest ?? `unresolved:${repository}:1`,
    ...(digest ? { digest } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
    repository,
    registry,
    tags: [],
    references: [repository],
    hosts: { count: 1, sample: ['h1'] },
    containers: 1,
    ownerCandidates: [],
    owner: { address: 'sec@example.org', rule: 'security-contact', detail: '' },
    firstSeen: '2026-11-24T10:00:00Z',
    lastSeen: '2026-11-24T11:00:00Z',
  };
}

/** A registry that holds `held` digests, answers `fail` digests with an error, 404 otherwise. */
function registry(held: string[], fail: string[] = []): ImageMetadata & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    available: async () => true,
    resolveDigest: async () => d('0'),
    created: async () => undefined,
    hasManifest: async (ref: ImageReference & { digest: string }) => {
      asked.push(`${ref.name}@${ref.digest}`);
      if (fail.includes(ref.digest))
        throw new UpstreamError(ref.domain, 'manifest answered 503', { status: 503 });
      return held.includes(ref.digest);
    },
  };
}

const options = { approvedRegistries: ['harbor.example.org'], concurrency: 2 };

describe('checkRegistryPresence', () => {
  it('is absent only when every digest of the image answers 404; an alias the registry holds is presence', async () => {
    const items = [
      item('harbor.example.org/team/app', d('a')),
      item('harbor.example.org/team/gone', d('b')),
      item('harbor.example.org/team/mirrored', d('c'), [d('e')]),
    ];
    const presence = await checkRegistryPresence(items, registry([d('a'), d('e')]), options);
    expect(Object.fromEntries(presence)).toEqual({
      [d('a')]: { state: 'present', digest: d('a') },
      [d('b')]: { state: 'absent', digests: [d('b')] },
      [d('c')]: { state: 'present', digest: d('e') },
    });
  });

  it('reports unknown, never absent, when the registry fails, is down, the tag is unresolved or we are offline', async () => {
    const items = [
      item('harbor.example.org/team/flaky', d('f')),
      item('harbor.example.org/team/tagonly', undefined),
      item('down.example.org/team/x', d('1')),
    ];
    const presence = await checkRegistryPresence(items, registry([], [d('f')]), {
      approvedRegistries: ['harbor.example.org', 'down.example.org'],
      concurrency: 2,
      registriesDown: ['down.example.org'],
    });
    expect([...presence.values()].map((p) => p.state)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(presence.get(d('f'))).toEqual({ state: 'unknown', reason: expect.stringContaining('503') });
    const offline = await checkRegistryPresence(
      [item('harbor.example.org/team/app', d('a'))],
      {
        ...registry([]),
        offline: true,
      },
      options,
    );
    expect(offline.get(d('a'))).toEqual({ state: 'unknown', reason: 'registry not asked (offline)' });
  });

  it('asks only about images of approved registries, and nothing when none is approved', async () => {
    const reg = registry([]);
    const items = [item('harbor.example.org/team/app', d('a')), item('docker.io/library/nginx', d('b'))];
    const presence = await checkRegistryPresence(items, reg, options);
    expect([...presence.keys()]).toEqual([d('a')]);
    expect(reg.asked).toEqual([`harbor.example.org/team/app@${d('a')}`]);
    expect((await checkRegistryPresence(items, reg, { approvedRegistries: [], concurrency: 1 })).size).toBe(
      0,
    );
  });
});
