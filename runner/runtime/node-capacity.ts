// The node facts that choose and size its image runtime: the runtime the kubelet names, and
// the node's ephemeral-storage capacity (a Kubernetes quantity: `101430960Ki`, `100G`), which
// stands in for the image filesystem's size on CRI nodes where the runner cannot statfs it.
import { z } from 'zod';
import type { KubeNode } from '../cluster/types.ts';

export interface NodeRuntimeFacts {
  containerRuntimeVersion: string | undefined;
  capacityBytes: number | undefined;
}

const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** Bytes of a quantity; undefined when it is not one (milli-units make no sense for bytes). */
export function parseByteQuantity(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:[eE]([0-9]+))?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(
    quantity.trim(),
  );
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  const factor = SUFFIX[suffix ?? ''];
  if (factor === undefined || number === undefined) return undefined;
  return Math.round(Number(number) * 10 ** Number(exponent ?? 0) * factor);
}

const NodeCapacity = z.looseObject({
  status: z.looseObject({ capacity: z.record(z.string(), z.string()).optional() }).optional(),
});

export function nodeRuntimeFacts(node: KubeNode): NodeRuntimeFacts {
  const parsed = NodeCapacity.safeParse(node);
  const quantity = parsed.success ? parsed.data.status?.capacity?.['ephemeral-storage'] : undefined;
  return {
    containerRuntimeVersion: node.status?.nodeInfo?.containerRuntimeVersion,
    capacityBytes: quantity === undefined ? undefined : parseByteQuantity(quantity),
  };
}
