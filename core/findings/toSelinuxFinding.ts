// Converts a runner SELinux issue into the shared `SelinuxFinding` record the notify step reads
// (StateStore collection `selinux-findings`; notify sends SELinux findings to the security
// contact). The key is kept, so a re-run updates the record instead of adding one.
import { SelinuxFinding } from './Finding.ts';
import type { SelinuxIssue } from './SelinuxIssue.ts';

export const SELINUX_FINDINGS_COLLECTION = 'selinux-findings';

export function toSelinuxFinding(
  issue: SelinuxIssue,
  context: { securityContact: string; at: Date; node?: string },
): SelinuxFinding {
  const node = issue.node ?? context.node;
  return SelinuxFinding.parse({
    kind: 'selinux',
    key: issue.key,
    // The "repository" of an SELinux finding is what it is about: the namespace (or node).
    repository: issue.namespace ? `namespace/${issue.namespace}` : node ? `node/${node}` : 'cluster',
    digests: [],
    severity: issue.severity,
    where: {
      hostCount: node ? 1 : 0,
      sampleHosts: node ? [node] : [],
      containers: issue.check === 'container-drift' ? 1 : 0,
    },
    recipient: {
      address: context.securityContact,
      rule: 'security-contact',
      detail: 'SELinux findings go to the security contact',
    },
    title: `${issue.check}${issue.namespace ? ` in ${issue.namespace}` : ''}${issue.subject ? ` (${issue.subject})` : ''}`,
    detectedAt: context.at.toISOString(),
    check: issue.check,
    detail: issue.detail,
  });
}
