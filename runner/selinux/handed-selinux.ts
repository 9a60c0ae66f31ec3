// What the SELinux step of a node pass needs from the API, handed over by the fan-out inside
// the node's desired set so that a node Job lists nothing (and needs no list RBAC): the pods
// bound to the node when the fan-out planned, reduced to their seLinuxOptions levels, and the
// namespaces of those pods, reduced to the one label and one annotation the level rules read.
// Both sides use this file: the fan-out builds the section, the node reads it back.
import { z } from 'zod';
import type { KubeNamespace, Workload } from '../cluster/types.ts';
import { PodSelinux } from './check-containers.ts';
import { NamespaceMeta, OPENSHIFT_MCS_ANNOTATION } from './expected-level.ts';

export const HandedSelinux = z.object({
  /** The namespace label the fan-out kept (runner.selinux.labelKey): a node reading another key refuses. */
  labelKey: z.string().min(1),
  /** Set when the fan-out could not list namespaces or pods: the node checks nothing and says why. */
  unavailable: z.string().optional(),
  namespaces: z.array(NamespaceMeta),
  pods: z.array(PodSelinux),
});
export type HandedSelinux = z.infer<typeof HandedSelinux>;

/** A namespace as the level rules see it, with only the two keys they read. */
export function handedNamespaceOf(ns: KubeNamespace, labelKey: string): NamespaceMeta {
  const label = ns.metadata.labels?.[labelKey];
  const annotation = ns.metadata.annotations?.[OPENSHIFT_MCS_ANNOTATION];
  return {
    name: ns.metadata.name,
    labels: label === undefined ? {} : { [labelKey]: label },
    annotations: annotation === undefined ? {} : { [OPENSHIFT_MCS_ANNOTATION]: annotation },
  };
}

type ContainerLevels = { name: string; securityContext?: unknown }[] | undefined;

const levelOf = (securityContext: unknown): string | undefined => {
  const level = (securityContext as { seLinuxOptions?: { level?: unknown } } | null | undefined)
    ?.seLinuxOptions?.level;
  return typeof level === 'string' ? level : undefined;
};

/** Only containers that set their own level: one without is checked at its pod's level either way. */
function withOwnLevel(containers: ContainerLevels) {
  return (containers ?? []).flatMap((c) => {
    const level = levelOf(c.securityContext);
    return level === undefined ? [] : [{ name: c.name, securityContext: { seLinuxOptions: { level } } }];
  });
}

/**
 * A Pod (as the fan-out's workload list holds it) in the shape PodSelinux parses, levels only.
 * The uid lets the node tell a pod recreated under the same name from the handed one; a mirror
 * pod (a static pod's copy in the API, owned by its Node) has a uid of its own that no
 * container carries, so it is handed without one.
 */
export function handedPodOf(pod: Workload): PodSelinux {
  const podLevel = levelOf(pod.podSpec.securityContext);
  const initContainers = withOwnLevel(pod.podSpec.initContainers);
  const mirror = pod.ownerReferences.some((owner) => owner.kind === 'Node');
  return PodSelinux.parse({
    metadata: { name: pod.name, namespace: pod.namespace, ...(pod.uid && !mirror ? { uid: pod.uid } : {}) },
    spec: {
      ...(podLevel !== undefined ? { securityContext: { seLinuxOptions: { level: podLevel } } } : {}),
      containers: withOwnLevel(pod.podSpec.containers),
      ...(initContainers.length > 0 ? { initContainers } : {}),
    },
  });
}

/** The tick's namespaces and pods, indexed once; each node's section is then a lookup. */
export interface TickSelinux {
  labelKey: string;
  unavailable?: string;
  namespaces: ReadonlyMap<string, NamespaceMeta>;
  podsByNode: ReadonlyMap<string, PodSelinux[]>;
}

export function indexTickSelinux(input: {
  labelKey: string;
  namespaces: readonly KubeNamespace[];
  /** Every Pod of the workload list; those bound to a node and still running count. */
  workloads: readonly Workload[];
  unavailable?: string | undefined;
}): TickSelinux {
  const namespaces = new Map(
    input.namespaces.map((ns) => [ns.metadata.name, handedNamespaceOf(ns, input.labelKey)]),
  );
  const podsByNode = new Map<string, PodSelinux[]>();
  for (const w of input.workloads) {
    // an ended pod has no running container left to check
    if (w.kind !== 'Pod' || w.inactive || !w.podSpec.nodeName) continue;
    const list = podsByNode.get(w.podSpec.nodeName) ?? [];
    list.push(handedPodOf(w));
    podsByNode.set(w.podSpec.nodeName, list);
  }
  return {
    labelKey: input.labelKey,
    ...(input.unavailable !== undefined ? { unavailable: input.unavailable } : {}),
    namespaces,
    podsByNode,
  };
}

/** One node's section: its pods and the namespaces they live in. */
export function selinuxHandoverFor(tick: TickSelinux, node: string): HandedSelinux {
  if (tick.unavailable !== undefined)
    return { labelKey: tick.labelKey, unavailable: tick.unavailable, namespaces: [], pods: [] };
  const pods = tick.podsByNode.get(node) ?? [];
  const names = [...new Set(pods.map((p) => p.metadata.namespace ?? 'default'))].sort();
  return {
    labelKey: tick.labelKey,
    // a namespace gone since the pod list: its pods' containers then have no expected level
    namespaces: names.flatMap((name) => {
      const ns = tick.namespaces.get(name);
      return ns ? [ns] : [];
    }),
    pods,
  };
}
