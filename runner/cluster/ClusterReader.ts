// The port through which every runner step reads the Kubernetes API (and records Events).
// One production adapter: KubeClusterReader (@kubernetes/client-node). Lists page through
// `limit`/`continue`; items that fail their schema come back in `invalid`, never as a throw.
// Errors: UpstreamError (API server down, 5xx/429 after retries, truncated body), AuthError
// (401/403: the service account lacks a permission), NotFoundError only from get* as undefined.
import type {
  ClusterEvent,
  KubeNamespace,
  KubeNode,
  KubePod,
  KubeSecret,
  KubeServiceAccount,
  Listed,
  Workload,
  WorkloadKind,
} from './types.ts';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ClusterReader {
  getNode(name: string): Promise<KubeNode | undefined>;
  listNodes(options?: ListOptions): Promise<Listed<KubeNode>>;
  listNamespaces(options?: ListOptions): Promise<Listed<KubeNamespace>>;
  /** Pods in one namespace, or cluster-wide; `nodeName` adds `spec.nodeName=<node>`. */
  listPods(options?: ListOptions & { namespace?: string; nodeName?: string }): Promise<Listed<KubePod>>;
  /** Every object of one workload kind, cluster-wide, reduced to its pod template. */
  listWorkloads(kind: WorkloadKind): Promise<Listed<Workload>>;
  getSecret(namespace: string, name: string): Promise<KubeSecret | undefined>;
  /** Its imagePullSecrets apply to every pod running as it (admission copies them into pods). */
  getServiceAccount(namespace: string, name: string): Promise<KubeServiceAccount | undefined>;
  createEvent(event: ClusterEvent): Promise<void>;
}
