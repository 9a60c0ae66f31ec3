import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { PolicyFinding } from '../../../../core/findings/Finding.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import type { InventoryItem, InventorySnapshot } from '../../../../functions/inventory/InventoryItem.ts';
import { checkPolicy } from '../../../../functions/policy/checkPolicy.ts';
import { POLICY_COLLECTION, savePolicyFindings } from '../../../../functions/policy/policyStore.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const labelOwner = { address: 'team@example.org', rule: 'label' as const, detail: 'owner' };
const hostOwner = {
  address: 'ops@example.org',
  rule: 'host-owner' as const,
  detail: 'web1 (host glob web*)',
};

function item(overrides: Partial<InventoryItem>): InventoryItem {
  return {
    id: `sha256:${'a'.repeat(64)}`,
    digest: `sha256:${'a'.repeat(64)}`,
    repository: 'harbor.example.org/team/app',
    registry: 'harbor.example.org',
    tags: ['1'],
    references: ['harbor.example.org/team/app:1'],
    hosts: { count: 2, sample: ['web1', 'web2'] },
    containers: 3,
    ownerCandidates: [{ key: 'owner', value: 'team@example.org' }],
    owner: labelOwner,
    firstSeen: '2026-11-24T10:00:00Z',
    lastSeen: '2026-11-24T11:59:00Z',
    created: '2026-11-20T00:00:00Z',
    ...overrides,
  };
}

const snapshot = (items: InventoryItem[]): InventorySnapshot => ({
  takenAt: NOW.toISOString(),
  window: { from: '2026-11-24T10:00:00Z', to: NOW.toISOString() },
  items,
});
const policy = { approvedRegistries: ['harbor.example.org'], maxAgeDays: 30 };

describe('checkPolicy', () => {
  it('finds nothing for an owned, fresh image from an approved registry', () => {
    // Act
    const result = checkPolicy(snapshot([item({})]), policy, new ManualClock(NOW));
    // Assess
    expect(result.findings).toEqual([]);
    expect(result.counts).toEqual({
      items: 1,
      'unapproved-registry': 0,
      'stale-image': 0,
      'no-owner': 0,
      'not-in-registry': 0,
      ageUnknown: 0,
      registryUnknown: 0,
    });
  });

  it('finds not-in-registry only for an image the registry answered 404 for; unknown is listed, not a breach', () => {
    // Prepare
    const gone = item({
      id: `sha256:${'b'.repeat(64)}`,
      digest: `sha256:${'b'.repeat(64)}`,
      repository: 'harbor.example.org/team/gone',
    });
    const unsure = item({
      id: `sha256:${'c'.repeat(64)}`,
      digest: `sha256:${'c'.repeat(64)}`,
      repository: 'harbor.example.org/team/unsure',
    });
    const presence = new Map([
      [item({}).id, { state: 'present' as const, digest: item({}).id }],
      [gone.id, { state: 'absent' as const, digests: [gone.id] }],
      [unsure.id, { state: 'unknown' as const, reason: 'harbor.example.org: manifest answered 503' }],
    ]);
    // Act
    const result = checkPolicy(snapshot([item({}), gone, unsure]), policy, new ManualClock(NOW), presence);
    // Assess
    expect(result.findings.map((f) => [f.key, f.severity])).toEqual([
      ['policy|harbor.example.org/team/gone|not-in-registry', 'High'],
    ]);
    expect(result.findings[0]?.detail).toContain(`does not have ${gone.id}`);
    expect(result.counts['not-in-registry']).toBe(1);
    expect(result.counts.registryUnknown).toBe(1);
    expect(result.registryUnknown).toEqual([
      {
        repository: 'harbor.example.org/team/unsure',
        digest: unsure.id,
        reason: 'harbor.example.org: manifest answered 503',
      },
    ]);
  });

  it('flags an unapproved registry to the image owner with a stable key', () => {
    // Act
    const result = checkPolicy(
      snapshot([item({ repository: 'docker.io/library/nginx', registry: 'docker.io' })]),
      policy,
      new ManualClock(NOW),
    );
    // Assess
    expect(result.findings).toHaveLength(1);
    const finding = result.findings[0] as PolicyFinding;
    expect(PolicyFinding.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      key: 'policy|docker.io/library/nginx|unapproved-registry',
      rule: 'unapproved-registry',
      recipient: labelOwner,
      severity: 'High',
      where: { hostCount: 2, sampleHosts: ['web1', 'web2'], containers: 3 },
    });
  });

  it('flags images older than the limit, counts unknown ages without guessing, and respects the boundary', () => {
    // Prepare
    const items = [
      item({ repository: 'r/stale', created: '2026-10-24T11:59:00Z' }),
      item({ repository: 'r/edge', created: '2026-10-25T12:00:00Z' }),
      item({ repository: 'r/unknown', created: undefined }),
    ];
    // Act
    const result = checkPolicy(snapshot(items), policy, new ManualClock(NOW));
    // Assess
    expect(result.findings.map((f) => f.key)).toEqual(['policy|r/stale|stale-image']);
    expect(result.findings[0]?.detail).toBe(
      'built 2026-10-24T11:59:00Z (31 days ago), over the limit of 30 days',
    );
    expect(result.ageUnknown).toEqual(['r/unknown']);
    expect(result.counts.ageUnknown).toBe(1);
  });

  it('sends no-owner findings to whoever the chain fell back to (host owner or security contact)', () => {
    // Act
    const result = checkPolicy(
      snapshot([item({ owner: hostOwner, ownerCandidates: [] })]),
      policy,
      new ManualClock(NOW),
    );
    // Assess
    expect(result.findings).toMatchObject([
      { rule: 'no-owner', recipient: hostOwner, key: 'policy|harbor.example.org/team/app|no-owner' },
    ]);
  });

  it('merges several digests of one repository into one finding', () => {
    // Prepare
    const old = '2026-01-01T00:00:00Z';
    const a = item({ created: old });
    const b = item({
      id: `sha256:${'b'.repeat(64)}`,
      digest: `sha256:${'b'.repeat(64)}`,
      created: old,
      hosts: { count: 1, sample: ['web9'] },
    });
    // Act
    const result = checkPolicy(snapshot([a, b]), policy, new ManualClock(NOW));
    // Assess
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.digests).toEqual([a.digest, b.digest]);
    expect(result.findings[0]?.where).toEqual({
      hostCount: 3,
      sampleHosts: ['web1', 'web2', 'web9'],
      containers: 6,
    });
  });

  it('approves everything when the approved list is empty', () => {
    // Act
    const result = checkPolicy(
      snapshot([item({ registry: 'quay.io' })]),
      { approvedRegistries: [], maxAgeDays: 30 },
      new ManualClock(NOW),
    );
    // Assess
    expect(result.counts['unapproved-registry']).toBe(0);
  });
});

describe('savePolicyFindings', () => {
  it('stores findings by key, keeps the first detection time and clears findings that no longer hold', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'iw-policy-'));
    try {
      const store = new FileStateStore(dir);
      const clock = new ManualClock(NOW);
      const foreign = item({
        repository: 'docker.io/library/nginx',
        registry: 'docker.io',
        created: undefined,
      });
      const first = checkPolicy(
        snapshot([foreign, item({ repository: 'r/x', owner: hostOwner })]),
        policy,
        clock,
      );
      await savePolicyFindings(store, first.findings);
      clock.advance(3_600_000);
      const second = checkPolicy(snapshot([foreign]), policy, clock);
      // Act
      const saved = await savePolicyFindings(store, second.findings);
      // Assess
      expect(saved).toEqual({ written: 1, cleared: 1 });
      const records = await store.list<PolicyFinding>(POLICY_COLLECTION);
      expect(records.map((r) => r.key)).toEqual(['policy|docker.io/library/nginx|unapproved-registry']);
      expect(records[0]?.value.detectedAt).toBe(NOW.toISOString());
      // A partial inventory (failed shards) must not clear findings of images it could not see.
      expect(await savePolicyFindings(store, [], { clearMissing: false })).toEqual({
        written: 0,
        cleared: 0,
      });
      expect(await store.list(POLICY_COLLECTION)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
