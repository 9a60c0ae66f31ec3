// Which nodes get a runner Job: Ready, schedulable (not cordoned), carrying every label of
// the configured node selector, and with no NoSchedule/NoExecute taint the Job's
// tolerations do not cover (a pod pinned with nodeName skips the scheduler, but the kubelet
// still refuses or evicts it over such taints). Malformed node objects are counted, not fatal.
import type { Toleration } from '../../core/config/sections/runner-fanout.ts';
import { KubeNode, type Taint } from './types.ts';

export type IneligibleReason = 'not-ready' | 'cordoned' | 'unmatched' | 'untolerated-taint';

export interface NodeClassification {
  /** Node names that get a Job this tick (subject to pile-up and limit rules). */
  eligible: string[];
  ineligible: { node: string; reason: IneligibleReason }[];
  malformed: { index: number; name: string | undefined; issue: string }[];
  /** Every node name seen, malformed ones included: a Job whose node is not here has lost its node. */
  present: Set<string>;
}

/** Whether a toleration covers a taint, by the Kubernetes rules (empty key + Exists covers all). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  if (toleration.key === undefined || toleration.key === '') return operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

function nameOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const metadata = (raw as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const name = (metadata as { name?: unknown }).name;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

export function reasonIneligible(
  node: KubeNode,
  selector: Record<string, string>,
  tolerations: readonly Toleration[],
): IneligibleReason | undefined {
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') return 'not-ready';
  if (node.spec?.unschedulable === true) return 'cordoned';
  const labels = node.metadata.labels ?? {};
  if (Object.entries(selector).some(([key, value]) => labels[key] !== value)) return 'unmatched';
  const blocking = (node.spec?.taints ?? []).filter(
    (taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute',
  );
  if (blocking.some((taint) => !tolerations.some((toleration) => tolerates(toleration, taint))))
    return 'untolerated-taint';
  return undefined;
}

export function classifyNodes(
  items: readonly unknown[],
  selector: Record<string, string>,
  tolerations: readonly Toleration[],
): NodeClassification {
  const result: NodeClassification = { eligible: [], ineligible: [], malformed: [], present: new Set() };
  items.forEach((raw, index) => {
    const name = nameOf(raw);
    if (name !== undefined) result.present.add(name);
    const parsed = KubeNode.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      result.malformed.push({
        index,
        name,
        issue: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not a Node',
      });
      return;
    }
    const node = parsed.data;
    const reason = reasonIneligible(node, selector, tolerations);
    if (reason) result.ineligible.push({ node: node.metadata.name, reason });
    else result.eligible.push(node.metadata.name);
  });
  result.eligible.sort();
  return result;
}
