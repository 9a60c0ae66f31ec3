// Which MCS level a namespace, pod or container is expected to run at. Sources, in order:
// the seed-style namespace label `<prefix>/selinux-context=593-693`, the OpenShift
// annotation `openshift.io/sa.scc.mcs`, then a pod's or container's own seLinuxOptions.level.
// Bad values become issues about the namespace, never exceptions.
import { z } from 'zod';
import { errorMessage } from '../../core/errors.ts';
import { makeIssue, type SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import { formatLevel, levelsEqual, type MlsLevel, parseLevel, parseSeedLabel } from './mcs.ts';

export const OPENSHIFT_MCS_ANNOTATION = 'openshift.io/sa.scc.mcs';
export const OPENSHIFT_UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';

/** The part of a Namespace object the checks read. */
export const NamespaceMeta = z.object({
  name: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
});
export type NamespaceMeta = z.infer<typeof NamespaceMeta>;

export type LevelSource = 'label' | 'annotation' | 'pod' | 'container';

export interface ExpectedLevel {
  level: MlsLevel;
  source: LevelSource;
}

export interface NamespaceLevel {
  namespace: string;
  expected: ExpectedLevel | undefined;
  issues: SelinuxIssue[];
}

export function namespaceLevel(ns: NamespaceMeta, labelKey: string): NamespaceLevel {
  const issues: SelinuxIssue[] = [];
  const read = (
    raw: string | undefined,
    where: string,
    parse: (v: string) => MlsLevel,
  ): MlsLevel | undefined => {
    if (raw === undefined) return undefined;
    try {
      return parse(raw);
    } catch (error) {
      issues.push(
        makeIssue({
          check: 'malformed-level',
          severity: 'High',
          namespace: ns.name,
          subject: where,
          detail: `${where} of namespace ${ns.name} is not a valid MCS level: ${errorMessage(error)}`,
          actual: [raw],
        }),
      );
      return undefined;
    }
  };
  const fromLabel = read(ns.labels[labelKey], `label ${labelKey}`, (v) => parseSeedLabel(v, labelKey));
  const fromAnnotation = read(
    ns.annotations[OPENSHIFT_MCS_ANNOTATION],
    `annotation ${OPENSHIFT_MCS_ANNOTATION}`,
    (v) => parseLevel(v, OPENSHIFT_MCS_ANNOTATION),
  );
  if (fromLabel && fromAnnotation && !levelsEqual(fromLabel, fromAnnotation)) {
    issues.push(
      makeIssue({
        check: 'conflicting-levels',
        severity: 'High',
        namespace: ns.name,
        detail: `namespace ${ns.name}: label ${labelKey} says ${formatLevel(fromLabel)} but ${OPENSHIFT_MCS_ANNOTATION} says ${formatLevel(fromAnnotation)}; using the label`,
        expected: formatLevel(fromLabel),
        actual: [formatLevel(fromAnnotation)],
      }),
    );
  }
  const expected: ExpectedLevel | undefined = fromLabel
    ? { level: fromLabel, source: 'label' }
    : fromAnnotation
      ? { level: fromAnnotation, source: 'annotation' }
      : undefined;
  return { namespace: ns.name, expected, issues };
}

/** seLinuxOptions as Kubernetes carries them (pod and container securityContext). */
export const SeLinuxOptions = z.object({ level: z.string().optional() }).passthrough();

export interface PodLevelInput {
  namespace: string;
  pod: string;
  podLevel?: string | undefined;
  /** Per container name, its own seLinuxOptions.level. */
  containerLevels?: Record<string, string | undefined>;
}

/**
 * The level a container of a pod must run at: the container's own level, else the pod's,
 * else the namespace's. A pod or container level different from the namespace's is
 * reported (it may be borrowing another tenant's level); a malformed one too.
 */
export function containerExpectedLevel(
  input: PodLevelInput,
  container: string,
  namespace: ExpectedLevel | undefined,
): { expected: ExpectedLevel | undefined; issues: SelinuxIssue[] } {
  const issues: SelinuxIssue[] = [];
  const own = input.containerLevels?.[container];
  const candidates: [string | undefined, LevelSource, string][] = [
    [own, 'container', `container ${input.pod}/${container}`],
    [input.podLevel, 'pod', `pod ${input.pod}`],
  ];
  for (const [raw, source, subject] of candidates) {
    if (raw === undefined || raw === '') continue;
    let level: MlsLevel;
    try {
      level = parseLevel(raw, `${subject} seLinuxOptions.level`);
    } catch (error) {
      issues.push(
        makeIssue({
          check: 'malformed-level',
          severity: 'High',
          namespace: input.namespace,
          subject,
          detail: errorMessage(error),
          actual: [raw],
        }),
      );
      continue;
    }
    if (namespace && !levelsEqual(level, namespace.level)) {
      issues.push(
        makeIssue({
          check: 'pod-level-override',
          severity: 'High',
          namespace: input.namespace,
          subject,
          detail: `${subject} asks for ${formatLevel(level)} but namespace ${input.namespace} has ${formatLevel(namespace.level)}`,
          expected: formatLevel(namespace.level),
          actual: [formatLevel(level)],
        }),
      );
    }
    return { expected: { level, source }, issues };
  }
  return { expected: namespace, issues };
}
