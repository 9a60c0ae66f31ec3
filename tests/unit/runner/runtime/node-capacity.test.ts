import { describe, expect, it } from 'vitest';
import { KubeNode } from '../../../../runner/cluster/types.ts';
import { nodeRuntimeFacts, parseByteQuantity } from '../../../../runner/runtime/node-capacity.ts';

describe('parseByteQuantity', () => {
  it.each([
    ['101430960Ki', 101430960 * 1024],
    ['100G', 100e9],
    ['20Gi', 20 * 1024 ** 3],
    ['1.5Ti', 1.5 * 1024 ** 4],
    ['12e3', 12000],
    ['5000', 5000],
  ])('%s is %d bytes', (quantity, bytes) => {
    expect(parseByteQuantity(quantity)).toBe(bytes);
  });

  it.each(['', '10m', 'lots', '-5Gi'])('%j is not a byte quantity', (quantity) => {
    expect(parseByteQuantity(quantity)).toBeUndefined();
  });
});

describe('nodeRuntimeFacts', () => {
  it('reads the kubelet runtime and the ephemeral-storage capacity of the node', () => {
    const node = KubeNode.parse({
      metadata: { name: 'n1' },
      status: {
        nodeInfo: { containerRuntimeVersion: 'containerd://1.7.2' },
        capacity: { cpu: '4', 'ephemeral-storage': '20Gi' },
      },
    });
    expect(nodeRuntimeFacts(node)).toEqual({
      containerRuntimeVersion: 'containerd://1.7.2',
      capacityBytes: 20 * 1024 ** 3,
    });
  });

  it('leaves the capacity unknown when the node does not report it', () => {
    const node = KubeNode.parse({ metadata: { name: 'n1' }, status: {} });
    expect(nodeRuntimeFacts(node)).toEqual({ containerRuntimeVersion: undefined, capacityBytes: undefined });
  });
});
