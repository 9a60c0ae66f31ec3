// A finding is one thing to tell someone about: a vulnerability in a running image, a policy
// breach, or an SELinux problem on a node. Its key is stable across rebuilds so that
// acknowledgements and notified state survive a new digest:
//   vulnerability: vuln|<repository>|<vulnerability name>|<package name>
//   policy:        policy|<repository>|<rule>
//   selinux:       selinux|<cluster/namespace or node>|<check>
import { z } from 'zod';
import { Severity } from '../severity.ts';
import { ResolvedOwner } from './ResolvedOwner.ts';

export const PolicyRule = z.enum(['unapproved-registry', 'stale-image', 'no-owner', 'not-in-registry']);
export type PolicyRule = z.infer<typeof PolicyRule>;

export const Where = z.object({
  hostCount: z.number().int().nonnegative(),
  sampleHosts: z.array(z.string()),
  containers: z.number().int().nonnegative(),
});
export type Where = z.infer<typeof Where>;

const Common = {
  key: z.string(),
  repository: z.string(),
  digests: z.array(z.string()),
  severity: Severity,
  where: Where,
  /** Who is told, and why them. */
  recipient: ResolvedOwner,
  /** One line a person reads first. */
  title: z.string(),
  detectedAt: z.string(),
};

export const VulnerabilityFinding = z.object({
  kind: z.literal('vulnerability'),
  ...Common,
  vulnerability: z.string(),
  package: z.object({ name: z.string(), version: z.string() }),
  /** undefined when no fix exists (Clair's `fixed_in_version: ""`). */
  fixedIn: z.string().optional(),
  links: z.array(z.string()),
  description: z.string().optional(),
});
export type VulnerabilityFinding = z.infer<typeof VulnerabilityFinding>;

export const PolicyFinding = z.object({
  kind: z.literal('policy'),
  ...Common,
  rule: PolicyRule,
  detail: z.string(),
  /** What the owner should do (rebuild, move to the approved registry, add an owner label). */
  remedy: z.string(),
});
export type PolicyFinding = z.infer<typeof PolicyFinding>;

export const SelinuxFinding = z.object({
  kind: z.literal('selinux'),
  ...Common,
  check: z.string(),
  detail: z.string(),
});
export type SelinuxFinding = z.infer<typeof SelinuxFinding>;

export const Finding = z.discriminatedUnion('kind', [VulnerabilityFinding, PolicyFinding, SelinuxFinding]);
export type Finding = z.infer<typeof Finding>;

export function vulnerabilityKey(repository: string, vulnerability: string, pkg: string): string {
  return `vuln|${repository}|${vulnerability}|${pkg}`;
}
export function policyKey(repository: string, rule: PolicyRule): string {
  return `policy|${repository}|${rule}`;
}

export { SEVERITY_RANK, Severity } from '../severity.ts';
