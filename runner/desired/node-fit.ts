// Could a pod with this spec ever be scheduled on this node? The same hard rules the
// scheduler applies: spec.nodeName, nodeSelector, required node affinity (terms ORed,
// expressions ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on metadata.name)
// and NoSchedule/NoExecute taints versus tolerations. Soft rules (preferred affinity,
// PreferNoSchedule) never exclude a node, so they are ignored here. A pod already bound to
// this node (spec.nodeName) skips the scheduler: the kubelet admits it over NoSchedule taints
// and only a NoExecute taint it does not tolerate keeps (or evicts) it, so only those count.
import type {
  KubeNode,
  NodeSelectorRequirement,
  PodSpec,
  Taint,
  Toleration,
  WorkloadKind,
} from '../cluster/types.ts';

export type Fit = { fits: true } | { fits: false; reason: string };

/**
 * Tolerations the DaemonSet controller adds to every DaemonSet pod, so its pods run on
 * nodes that are not ready, unreachable, under pressure or cordoned.
 */
const DAEMONSET_TOLERATIONS: Toleration[] = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/network-unavailable',
].map((key) => ({ key, operator: 'Exists' }));

function requirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const actual = Number.parseInt(value, 10);
      const bound = Number.parseInt(values[0] ?? '', 10);
      if (!/^-?\d+$/.test(value) || Number.isNaN(bound)) return false;
      return requirement.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      // an operator the API server would have rejected: never matches
      return false;
  }
}

function affinityFits(spec: PodSpec, node: KubeNode): boolean {
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const labels = node.metadata.labels ?? {};
  return required.nodeSelectorTerms.some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    // an empty term matches no node
    if (expressions.length === 0 && fields.length === 0) return false;
    return (
      expressions.every((requirement) => requirementMatches(requirement, labels[requirement.key])) &&
      fields.every((requirement) =>
        requirementMatches(requirement, requirement.key === 'metadata.name' ? node.metadata.name : undefined),
      )
    );
  });
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  if (!toleration.key) return operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

export function fitsNode(spec: PodSpec, node: KubeNode, kind?: WorkloadKind): Fit {
  if (spec.nodeName && spec.nodeName !== node.metadata.name) {
    return { fits: false, reason: `bound to node ${spec.nodeName}` };
  }
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return { fits: false, reason: `nodeSelector ${key}=${value}` };
  }
  if (!affinityFits(spec, node)) return { fits: false, reason: 'required node affinity' };
  const tolerations = [...(spec.tolerations ?? []), ...(kind === 'DaemonSet' ? DAEMONSET_TOLERATIONS : [])];
  const bound = spec.nodeName === node.metadata.name;
  for (const taint of node.spec.taints ?? []) {
    if (taint.effect !== 'NoExecute' && (bound || taint.effect !== 'NoSchedule')) continue;
    if (!tolerations.some((toleration) => tolerates(toleration, taint))) {
      return {
        fits: false,
        reason: `untolerated taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`,
      };
    }
  }
  return { fits: true };
}
