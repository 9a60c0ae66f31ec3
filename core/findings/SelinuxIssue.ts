// What the SELinux checks report: one entry per problem, with a key stable across runs
// (`selinux|<namespace or node>|<check>[|subject]`) so Events and notifications deduplicate.
import { z } from 'zod';
import { Severity } from '../severity.ts';

export const SelinuxCheck = z.enum([
  /** A namespace label/annotation/pod level that does not parse. */
  'malformed-level',
  /** The seed label and the OpenShift annotation of one namespace name different levels. */
  'conflicting-levels',
  /** A tenant namespace with no level at all. */
  'missing-level',
  /** Two namespaces share one level: their tenants can read each other's files. */
  'level-collision',
  /** `sa.scc.mcs` differs from the level its `sa.scc.uid-range` block implies. */
  'uid-range-mismatch',
  /** A pod or container asks for a level other than its namespace's. */
  'pod-level-override',
  /** A running container's process or mount label has another level than expected. */
  'container-drift',
  /** Files in a tenant volume carry another level than expected. */
  'volume-drift',
  /** A single-context mount (NFS, `context=`) whose context has another level. */
  'mount-context-drift',
  /** A volume walk stopped at its file or time budget; the rest was not checked. */
  'walk-incomplete',
  /** A volume could not be read or relabelled. */
  'check-failed',
]);
export type SelinuxCheck = z.infer<typeof SelinuxCheck>;

export const SelinuxIssue = z.object({
  key: z.string(),
  check: SelinuxCheck,
  severity: Severity,
  /** The namespace concerned, when there is one. */
  namespace: z.string().optional(),
  node: z.string().optional(),
  /** What exactly: a pod/container name, a volume path, the other namespace. */
  subject: z.string().optional(),
  /** One line a person reads first. */
  detail: z.string(),
  expected: z.string().optional(),
  actual: z.array(z.string()).optional(),
  /** How many files or containers, for counted checks. */
  count: z.number().int().nonnegative().optional(),
  samplePaths: z.array(z.string()).optional(),
});
export type SelinuxIssue = z.infer<typeof SelinuxIssue>;

export function issueKey(scope: string, check: SelinuxCheck, subject?: string): string {
  return subject === undefined ? `selinux|${scope}|${check}` : `selinux|${scope}|${check}|${subject}`;
}

/** Builds an issue with its key filled in from namespace (or node) and subject. */
export function makeIssue(issue: Omit<SelinuxIssue, 'key'>): SelinuxIssue {
  const scope = issue.namespace ?? (issue.node === undefined ? 'cluster' : `node/${issue.node}`);
  return { key: issueKey(scope, issue.check, issue.subject), ...issue };
}
