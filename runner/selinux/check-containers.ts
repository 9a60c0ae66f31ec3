// Checks the SELinux labels of this node's tenant containers: the process label, the mount
// label and any `label=...` security option must carry the level expected for the container
// (its own seLinuxOptions, else its pod's, else its namespace's). Containers are tied to pods
// by the labels the kubelet puts on them (io.kubernetes.pod.namespace/name/uid, container.name).
import { z } from 'zod';
import { errorMessage } from '../../core/errors.ts';
import { makeIssue, type SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { ContainerDetails } from '../runtime/ImageRuntime.ts';
import { containerExpectedLevel, type ExpectedLevel } from './expected-level.ts';
import { formatLevel, levelsEqual, type MlsLevel, parseContext, parseLevel } from './mcs.ts';

export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

/** A container as inspected (HostConfig.SecurityOpt included). */
export type InspectedContainer = ContainerDetails;

/** The seLinuxOptions of a pod and its containers, from the pod spec (loose: only what we read). */
export const PodSelinux = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional(), uid: z.string().optional() }),
  spec: z.looseObject({
    securityContext: z
      .looseObject({ seLinuxOptions: z.looseObject({ level: z.string().optional() }).optional() })
      .optional(),
    containers: z
      .array(
        z.looseObject({
          name: z.string(),
          securityContext: z
            .looseObject({ seLinuxOptions: z.looseObject({ level: z.string().optional() }).optional() })
            .nullish(),
        }),
      )
      .default([]),
    initContainers: z
      .array(
        z.looseObject({
          name: z.string(),
          securityContext: z
            .looseObject({ seLinuxOptions: z.looseObject({ level: z.string().optional() }).optional() })
            .nullish(),
        }),
      )
      .nullish(),
  }),
});
export type PodSelinux = z.infer<typeof PodSelinux>;

export interface ContainerCheck {
  container: string;
  namespace: string;
  pod: string;
  podUid: string | undefined;
  expected: ExpectedLevel | undefined;
  ok: boolean;
}

export interface ContainerCheckResult {
  checked: number;
  drifted: number;
  /** Containers of namespaces with no expected level (nothing to compare with). */
  noExpectation: number;
  /** Containers not started by the kubelet (no pod labels). */
  notPods: number;
  /**
   * Containers of a pod missing from a handed pod set (created after the fan-out planned, or
   * recreated under the same name): its seLinuxOptions are unknown, so no level is guessed and
   * nothing is flagged; the next tick's set has it.
   */
  newerThanHanded: number;
  checks: ContainerCheck[];
  issues: SelinuxIssue[];
}

/** `label=level:s0:c1,c2`, `label:level:...` (old form), `label=disable`. */
function securityOptLevels(options: readonly string[]): { levels: string[]; disabled: boolean } {
  const levels: string[] = [];
  let disabled = false;
  for (const opt of options) {
    const m = /^label[=:](.*)$/.exec(opt);
    if (!m) continue;
    const value = m[1] ?? '';
    if (value === 'disable') disabled = true;
    const level = /^level:(.+)$/.exec(value);
    if (level?.[1]) levels.push(level[1]);
  }
  return { levels, disabled };
}

function levelOfLabel(label: string, what: string): { level?: MlsLevel; problem?: string } {
  if (label === '') return { problem: `${what} is empty (SELinux off in the runtime?)` };
  try {
    const context = parseContext(label, what);
    if (!context.level) return { problem: `${what} ${label} has no single level` };
    return { level: context.level };
  } catch (error) {
    return { problem: errorMessage(error) };
  }
}

export interface CheckContainersOptions {
  /**
   * The pods are a snapshot handed over by the fan-out, not a list read now: a container whose
   * pod is not in it (or has another uid there) is counted in newerThanHanded, not checked at
   * its namespace's level: the runtime's io.kubernetes.pod.namespace label names its namespace
   * (whose level may well be handed), but only the pod spec says whether the pod or container
   * sets a level of its own, and a guessed level would be a false drift. Read live, a pod not
   * found is a race with its deletion and the namespace's level applies.
   */
  handedPods?: boolean;
}

export function checkContainers(
  containers: readonly InspectedContainer[],
  pods: readonly PodSelinux[],
  namespaceLevels: ReadonlyMap<string, ExpectedLevel | undefined>,
  node: string,
  options: CheckContainersOptions = {},
): ContainerCheckResult {
  const result: ContainerCheckResult = {
    checked: 0,
    drifted: 0,
    noExpectation: 0,
    notPods: 0,
    newerThanHanded: 0,
    checks: [],
    issues: [],
  };
  const podByKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const reportedOverrides = new Set<string>();
  for (const c of containers) {
    if (!['running', 'paused', 'restarting'].includes(c.state)) continue;
    const namespace = c.labels[POD_NAMESPACE_LABEL];
    const podName = c.labels[POD_NAME_LABEL];
    if (!namespace || !podName) {
      result.notPods++;
      continue;
    }
    const containerName =
      c.labels[CONTAINER_NAME_LABEL] ?? c.names[0]?.replace(/^\//, '') ?? c.id.slice(0, 12);
    const pod = podByKey.get(`${namespace}/${podName}`);
    if (options.handedPods) {
      const uid = c.labels[POD_UID_LABEL];
      const handedUid = pod?.metadata.uid;
      if (!pod || (uid !== undefined && handedUid !== undefined && uid !== handedUid)) {
        result.newerThanHanded++;
        continue;
      }
    }
    const own = [...(pod?.spec.containers ?? []), ...(pod?.spec.initContainers ?? [])].find(
      (x) => x.name === containerName,
    );
    const resolved = containerExpectedLevel(
      {
        namespace,
        pod: podName,
        podLevel: pod?.spec.securityContext?.seLinuxOptions?.level,
        containerLevels: { [containerName]: own?.securityContext?.seLinuxOptions?.level },
      },
      containerName,
      namespaceLevels.get(namespace),
    );
    for (const issue of resolved.issues) {
      if (!reportedOverrides.has(issue.key)) result.issues.push({ ...issue, node });
      reportedOverrides.add(issue.key);
    }
    const subject = `${podName}/${containerName}`;
    const check: ContainerCheck = {
      container: c.id,
      namespace,
      pod: podName,
      podUid: c.labels[POD_UID_LABEL],
      expected: resolved.expected,
      ok: true,
    };
    result.checks.push(check);
    if (!resolved.expected) {
      result.noExpectation++;
      continue;
    }
    result.checked++;
    const expected = resolved.expected.level;
    const wrong: string[] = [];
    const problems: string[] = [];
    for (const [label, what] of [
      [c.processLabel, 'ProcessLabel'],
      [c.mountLabel, 'MountLabel'],
    ] as const) {
      const got = levelOfLabel(label, what);
      if (got.problem) problems.push(got.problem);
      else if (got.level && !levelsEqual(got.level, expected))
        wrong.push(`${what} ${formatLevel(got.level)}`);
    }
    const opts = securityOptLevels(c.securityOpt ?? []);
    if (opts.disabled)
      problems.push('SecurityOpt label=disable: the container runs without SELinux separation');
    for (const raw of opts.levels) {
      const level = (() => {
        try {
          return parseLevel(raw, 'SecurityOpt');
        } catch {
          return undefined;
        }
      })();
      if (!level) problems.push(`SecurityOpt level ${raw} does not parse`);
      else if (!levelsEqual(level, expected)) wrong.push(`SecurityOpt ${formatLevel(level)}`);
    }
    if (wrong.length === 0 && problems.length === 0) continue;
    check.ok = false;
    result.drifted++;
    result.issues.push(
      makeIssue({
        check: 'container-drift',
        severity: 'Critical',
        namespace,
        node,
        subject,
        detail: `container ${subject} in ${namespace} on ${node} should run at ${formatLevel(expected)} (${resolved.expected.source}): ${[...wrong, ...problems].join('; ')}`,
        expected: formatLevel(expected),
        actual: wrong,
      }),
    );
  }
  return result;
}
