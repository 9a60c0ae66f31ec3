// The per-tick ConfigMap (desired-set.json) and Secret (pull-secrets.json) that hand one node
// Job its desired set. Both are named like the Job and owned by it (ownerReferences with its
// uid), so the garbage collector removes them with the Job (TTL or the fan-out's cleanup).
// blockOwnerDeletion stays unset: setting it would need update on jobs/finalizers, a grant the
// fan-out does not otherwise need.
import { gzipSync } from 'node:zlib';
import type { V1ConfigMap, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import { HANDED_SECRETS_FILE, HANDED_SET_FILE } from '../desired/handed-set.ts';
import type { NodeHandover } from './desired-sets.ts';
import { LABELS, NODE_JOB_LABELS } from './types.ts';

/** A ConfigMap holds at most 1 MiB; leave room for its metadata. */
export const MAX_HANDED_SET_BYTES = 1_000_000;

export interface OwningJob {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
}

function metadataFor(job: OwningJob): V1ObjectMeta {
  return {
    name: job.name,
    namespace: job.namespace,
    labels: {
      ...job.labels,
      [LABELS.component]: 'desired-set',
      [LABELS.managedBy]: NODE_JOB_LABELS[LABELS.managedBy],
    },
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid }],
  };
}

/** The set's file content, gzipped; its base64 size decides whether it fits a ConfigMap. */
export function handedSetFile(handover: NodeHandover): Buffer {
  return gzipSync(JSON.stringify(handover.set));
}

export function handedConfigMap(job: OwningJob, file: Buffer): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadataFor(job),
    binaryData: { [HANDED_SET_FILE]: file.toString('base64') },
  };
}

export function handedSecret(job: OwningJob, handover: NodeHandover): V1Secret | undefined {
  if (!handover.secrets) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: metadataFor(job),
    data: { [HANDED_SECRETS_FILE]: Buffer.from(JSON.stringify(handover.secrets)).toString('base64') },
  };
}
