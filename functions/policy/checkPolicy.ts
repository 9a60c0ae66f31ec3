// The policy checks over the inventory snapshot, one finding per repository and rule (the key
// survives rebuilds, see core/findings/Finding.ts):
//   unapproved-registry: the image comes from a registry not in policy.approvedRegistries;
//   stale-image:         its config blob's `created` is older than policy.maxAgeDays;
//   no-owner:            no container label named a usable owner;
//   not-in-registry:     the approved registry it comes from answers 404 for its running digest
//                        (registryPresence.ts; an image that could not be checked is counted
//                        as `registryUnknown` and listed, never a breach).
// Unapproved and stale findings go to the image owner; no-owner goes to the host owner, else the
// security contact (which is what the resolution chain already chose). An image whose age is
// unknown (registry unreachable, no `created`) is reported as such, never guessed.
import { type Clock, DAY_MS } from '../../core/clock.ts';
import { type PolicyFinding, type PolicyRule, policyKey } from '../../core/findings/Finding.ts';
import type { Severity } from '../../core/severity.ts';
import type { InventoryItem, InventorySnapshot } from '../inventory/InventoryItem.ts';
import { isApproved } from './approved.ts';
import type { Presence } from './registryPresence.ts';

export { isApproved } from './approved.ts';

export interface PolicyConfig {
  /** host[:port] of approved registries; empty approves every registry. */
  approvedRegistries: readonly string[];
  maxAgeDays: number;
}

export interface PolicyResult {
  findings: PolicyFinding[];
  counts: Record<PolicyRule, number> & { items: number; ageUnknown: number; registryUnknown: number };
  /** Repositories whose age could not be checked. */
  ageUnknown: string[];
  /** Images of an approved registry whose presence there could not be checked, and why. */
  registryUnknown: { repository: string; digest?: string; reason: string }[];
}

const SEVERITY: Record<PolicyRule, Severity> = {
  'unapproved-registry': 'High',
  'stale-image': 'Medium',
  'no-owner': 'Low',
  'not-in-registry': 'High',
};

const REMEDY: Record<PolicyRule, string> = {
  'unapproved-registry': 'Push the image to an approved registry and run it from there.',
  'stale-image': 'Rebuild the image from an updated base and redeploy it.',
  'no-owner': 'Add an `owner` label (an email address) to the image or container.',
  'not-in-registry':
    'Push the image to the approved registry and redeploy it from there, so what runs is the build that was reviewed.',
};

interface Hit {
  rule: PolicyRule;
  item: InventoryItem;
  detail: string;
}

/** `presence`: from checkRegistryPresence, per item id; items absent from it are not judged by that rule. */
export function checkPolicy(
  snapshot: InventorySnapshot,
  config: PolicyConfig,
  clock: Clock,
  presence: ReadonlyMap<string, Presence> = new Map(),
): PolicyResult {
  const now = clock.now();
  const hits: Hit[] = [];
  const ageUnknown = new Set<string>();
  const registryUnknown: PolicyResult['registryUnknown'] = [];
  for (const item of snapshot.items) {
    const found = presence.get(item.id);
    if (found?.state === 'absent') {
      hits.push({
        rule: 'not-in-registry',
        item,
        detail: `${item.registry} does not have ${found.digests.join(' or ')} in ${item.repository} (manifest HEAD answered 404)`,
      });
    } else if (found?.state === 'unknown') {
      registryUnknown.push({
        repository: item.repository,
        ...(item.digest ? { digest: item.digest } : {}),
        reason: found.reason,
      });
    }
    if (!isApproved(item.registry, config.approvedRegistries)) {
      hits.push({
        rule: 'unapproved-registry',
        item,
        detail: `registry ${item.registry} is not approved (approved: ${config.approvedRegistries.join(', ')})`,
      });
    }
    const created = item.created === undefined ? Number.NaN : Date.parse(item.created);
    if (Number.isNaN(created)) {
      ageUnknown.add(item.repository);
    } else {
      const days = Math.floor((now.getTime() - created) / DAY_MS);
      if (days > config.maxAgeDays) {
        hits.push({
          rule: 'stale-image',
          item,
          detail: `built ${item.created} (${days} days ago), over the limit of ${config.maxAgeDays} days`,
        });
      }
    }
    if (item.owner.rule !== 'label') {
      hits.push({ rule: 'no-owner', item, detail: 'no container label names an owner' });
    }
  }

  const byKey = new Map<string, PolicyFinding>();
  for (const { rule, item, detail } of hits) {
    const key = policyKey(item.repository, rule);
    const existing = byKey.get(key);
    if (existing) {
      if (item.digest && !existing.digests.includes(item.digest)) existing.digests.push(item.digest);
      existing.where.hostCount += item.hosts.count;
      existing.where.containers += item.containers;
      existing.where.sampleHosts = [...new Set([...existing.where.sampleHosts, ...item.hosts.sample])].slice(
        0,
        10,
      );
      continue;
    }
    byKey.set(key, {
      kind: 'policy',
      key,
      repository: item.repository,
      digests: item.digest ? [item.digest] : [],
      severity: SEVERITY[rule],
      where: {
        hostCount: item.hosts.count,
        sampleHosts: [...item.hosts.sample],
        containers: item.containers,
      },
      recipient: item.owner,
      title: `${item.repository}: ${rule.replace('-', ' ')}`,
      detectedAt: now.toISOString(),
      rule,
      detail,
      remedy: REMEDY[rule],
    });
  }
  const findings = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  const counts = {
    items: snapshot.items.length,
    'unapproved-registry': 0,
    'stale-image': 0,
    'no-owner': 0,
    'not-in-registry': 0,
    ageUnknown: ageUnknown.size,
    registryUnknown: registryUnknown.length,
  };
  for (const f of findings) counts[f.rule]++;
  return { findings, counts, ageUnknown: [...ageUnknown].sort(), registryUnknown };
}
