import { describe, expect, it } from 'vitest';
import type { KubeNode, PodSpec } from '../../../../runner/cluster/types.ts';
import { fitsNode } from '../../../../runner/desired/node-fit.ts';

function node(labels: Record<string, string>, taints: KubeNode['spec']['taints'] = []): KubeNode {
  return { metadata: { name: 'n1', labels }, spec: { taints } };
}

function spec(extra: Partial<PodSpec>): PodSpec {
  return { containers: [{ name: 'app', image: 'x' }], ...extra };
}

const affinity = (...terms: { key: string; operator: string; values?: string[] }[][]) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
    },
  },
});

describe('fitsNode', () => {
  const gpuNode = node({ 'kubernetes.io/os': 'linux', gpu: 'a100', cores: '64' });

  it('accepts a pod with no constraints and rejects one bound to another node', () => {
    expect(fitsNode(spec({}), gpuNode).fits).toBe(true);
    expect(fitsNode(spec({ nodeName: 'n2' }), gpuNode)).toEqual({ fits: false, reason: 'bound to node n2' });
  });

  it('requires every nodeSelector label', () => {
    expect(fitsNode(spec({ nodeSelector: { gpu: 'a100' } }), gpuNode).fits).toBe(true);
    expect(fitsNode(spec({ nodeSelector: { gpu: 'a100', zone: 'b' } }), gpuNode).fits).toBe(false);
  });

  it.each([
    ['In match', [{ key: 'gpu', operator: 'In', values: ['t4', 'a100'] }], true],
    ['In miss', [{ key: 'gpu', operator: 'In', values: ['t4'] }], false],
    ['NotIn with label absent', [{ key: 'zone', operator: 'NotIn', values: ['a'] }], true],
    ['NotIn hit', [{ key: 'gpu', operator: 'NotIn', values: ['a100'] }], false],
    ['Exists', [{ key: 'gpu', operator: 'Exists' }], true],
    ['DoesNotExist', [{ key: 'gpu', operator: 'DoesNotExist' }], false],
    ['Gt true', [{ key: 'cores', operator: 'Gt', values: ['32'] }], true],
    ['Gt false', [{ key: 'cores', operator: 'Gt', values: ['64'] }], false],
    ['Lt true', [{ key: 'cores', operator: 'Lt', values: ['100'] }], true],
    ['Gt on a non-integer label', [{ key: 'gpu', operator: 'Gt', values: ['1'] }], false],
    [
      'expressions are ANDed',
      [
        { key: 'gpu', operator: 'Exists' },
        { key: 'zone', operator: 'Exists' },
      ],
      false,
    ],
  ])('required node affinity: %s', (_name, expressions, fits) => {
    expect(fitsNode(spec({ affinity: affinity(expressions) }), gpuNode).fits).toBe(fits);
  });

  it('ORs the node selector terms and treats an empty term as matching nothing', () => {
    const either = affinity(
      [{ key: 'gpu', operator: 'In', values: ['t4'] }],
      [{ key: 'cores', operator: 'Exists' }],
    );
    expect(fitsNode(spec({ affinity: either }), gpuNode).fits).toBe(true);
    expect(fitsNode(spec({ affinity: affinity([]) }), gpuNode).fits).toBe(false);
  });

  it('matches matchFields on metadata.name', () => {
    const byName = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
        },
      },
    };
    expect(fitsNode(spec({ affinity: byName }), gpuNode).fits).toBe(true);
  });

  it('keeps pods off NoSchedule/NoExecute taints they do not tolerate, ignoring PreferNoSchedule', () => {
    const tainted = node({}, [
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'soft', effect: 'PreferNoSchedule' },
    ]);
    expect(fitsNode(spec({}), tainted)).toEqual({
      fits: false,
      reason: 'untolerated taint dedicated=gpu:NoSchedule',
    });
    expect(
      fitsNode(spec({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu' }] }), tainted).fits,
    ).toBe(true);
    expect(fitsNode(spec({ tolerations: [{ key: 'dedicated', value: 'cpu' }] }), tainted).fits).toBe(false);
    expect(
      fitsNode(
        spec({ tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }] }),
        tainted,
      ).fits,
    ).toBe(false);
    expect(fitsNode(spec({ tolerations: [{ operator: 'Exists' }] }), tainted).fits).toBe(true);
  });

  it('gives DaemonSet pods the tolerations the DaemonSet controller adds', () => {
    const cordoned = node({}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    expect(fitsNode(spec({}), cordoned, 'Deployment').fits).toBe(false);
    expect(fitsNode(spec({}), cordoned, 'DaemonSet').fits).toBe(true);
  });

  it('checks a pod already bound to this node against NoExecute taints only, as the kubelet does', () => {
    // Prepare: the node is tainted after the pod was bound to it
    const tainted = node({}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    const evicting = node({}, [{ key: 'maintenance', effect: 'NoExecute' }]);
    // Act
    const boundHere = fitsNode(spec({ nodeName: 'n1' }), tainted);
    const unbound = fitsNode(spec({}), tainted);
    const boundEvicting = fitsNode(spec({ nodeName: 'n1' }), evicting);
    const boundTolerating = fitsNode(
      spec({
        nodeName: 'n1',
        tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }],
      }),
      evicting,
    );
    // Assess
    expect(boundHere).toEqual({ fits: true });
    expect(unbound).toEqual({ fits: false, reason: 'untolerated taint dedicated=gpu:NoSchedule' });
    expect(boundEvicting).toEqual({ fits: false, reason: 'untolerated taint maintenance:NoExecute' });
    expect(boundTolerating).toEqual({ fits: true });
  });

  it('still applies nodeSelector to a pod bound to this node (the kubelet admits by it too)', () => {
    expect(fitsNode(spec({ nodeName: 'n1', nodeSelector: { gpu: 'a100' } }), node({})).fits).toBe(false);
  });
});
