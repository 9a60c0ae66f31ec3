// Cluster-wide SELinux checks over every namespace (once per fan-out, or `imagewarden runner
// selinux-audit`): two namespaces sharing one level (their tenants can read each other's
// files), tenant namespaces with no level, and OpenShift namespaces whose sa.scc.mcs is not
// the level their sa.scc.uid-range block implies. Bad values are findings, never crashes.

import { makeIssue, type SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { blockOfUidRange, formatOpenshiftLevel, levelOfBlock, parseUidRange } from './allocation.ts';
import {
  type NamespaceMeta,
  namespaceLevel,
  OPENSHIFT_MCS_ANNOTATION,
  OPENSHIFT_UID_RANGE_ANNOTATION,
} from './expected-level.ts';
import { formatLevel, levelsEqual, parseLevel } from './mcs.ts';
import { namespaceMetaOf } from './node-check.ts';

export interface AuditOptions {
  labelKey: string;
  /** Name globs (`kube-*`) of namespaces that are not tenants: no level is expected there. */
  systemNamespaces: readonly string[];
}

export interface AuditResult {
  namespaces: number;
  withLevel: number;
  tenantsWithoutLevel: number;
  collisions: number;
  uidRangeMismatches: number;
  malformed: number;
  /** Namespace objects the API returned that failed their schema. */
  invalid: number;
  issues: SelinuxIssue[];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

export function auditNamespaces(
  namespaces: readonly NamespaceMeta[],
  options: AuditOptions,
): Omit<AuditResult, 'invalid'> {
  const system = options.systemNamespaces.map(globToRegExp);
  const issues: SelinuxIssue[] = [];
  const byLevel = new Map<string, string[]>();
  let withLevel = 0;
  let tenantsWithoutLevel = 0;
  let uidRangeMismatches = 0;
  for (const ns of namespaces) {
    const resolved = namespaceLevel(ns, options.labelKey);
    issues.push(...resolved.issues);
    const isSystem = system.some((re) => re.test(ns.name));
    if (resolved.expected) {
      withLevel++;
      const key = formatLevel(resolved.expected.level);
      byLevel.set(key, [...(byLevel.get(key) ?? []), ns.name]);
    } else if (!isSystem && resolved.issues.length === 0) {
      tenantsWithoutLevel++;
      issues.push(
        makeIssue({
          check: 'missing-level',
          severity: 'High',
          namespace: ns.name,
          detail: `tenant namespace ${ns.name} has no MCS level (neither label ${options.labelKey} nor ${OPENSHIFT_MCS_ANNOTATION}): its pods get whatever level the runtime picks`,
        }),
      );
    }
    const mismatch = uidRangeCheck(ns);
    if (mismatch) {
      if (mismatch.check === 'uid-range-mismatch') uidRangeMismatches++;
      issues.push(mismatch);
    }
  }
  let collisions = 0;
  for (const [level, names] of byLevel) {
    if (names.length < 2) continue;
    collisions++;
    const sorted = [...names].sort();
    for (const name of sorted) {
      issues.push(
        makeIssue({
          check: 'level-collision',
          severity: 'Critical',
          namespace: name,
          subject: level,
          detail: `namespaces ${sorted.join(', ')} share the MCS level ${level}: their tenants can read and write each other's files`,
          expected: 'a level of its own',
          actual: sorted.filter((n) => n !== name),
        }),
      );
    }
  }
  const malformed = issues.filter((i) => i.check === 'malformed-level').length;
  return {
    namespaces: namespaces.length,
    withLevel,
    tenantsWithoutLevel,
    collisions,
    uidRangeMismatches,
    malformed,
    issues,
  };
}

function uidRangeCheck(ns: NamespaceMeta): SelinuxIssue | undefined {
  const range = ns.annotations[OPENSHIFT_UID_RANGE_ANNOTATION];
  const mcs = ns.annotations[OPENSHIFT_MCS_ANNOTATION];
  if (range === undefined || mcs === undefined) return undefined;
  let implied: ReturnType<typeof levelOfBlock>;
  try {
    implied = levelOfBlock(blockOfUidRange(parseUidRange(range)));
  } catch (error) {
    return makeIssue({
      check: 'malformed-level',
      severity: 'Medium',
      namespace: ns.name,
      subject: `annotation ${OPENSHIFT_UID_RANGE_ANNOTATION}`,
      detail: `namespace ${ns.name}: cannot check ${OPENSHIFT_MCS_ANNOTATION} against the uid range: ${(error as Error).message}`,
      actual: [range],
    });
  }
  let annotated: ReturnType<typeof parseLevel>;
  try {
    annotated = parseLevel(mcs);
  } catch {
    return undefined; // already reported by namespaceLevel
  }
  if (levelsEqual(annotated, implied)) return undefined;
  return makeIssue({
    check: 'uid-range-mismatch',
    severity: 'High',
    namespace: ns.name,
    detail: `namespace ${ns.name}: ${OPENSHIFT_MCS_ANNOTATION} is ${mcs} but uid range ${range} implies ${formatOpenshiftLevel(implied)} (edited or copied annotation?)`,
    expected: formatOpenshiftLevel(implied),
    actual: [mcs],
  });
}

/** Reads every namespace through the cluster port and audits them. */
export async function auditCluster(
  ports: { cluster: Pick<ClusterReader, 'listNamespaces'>; logger: Logger },
  options: AuditOptions,
): Promise<AuditResult> {
  const listed = await ports.cluster.listNamespaces();
  for (const bad of listed.invalid)
    ports.logger.warn({ namespace: bad.name, err: bad.message }, 'namespace object failed its schema');
  return { ...auditNamespaces(listed.items.map(namespaceMetaOf), options), invalid: listed.invalid.length };
}
