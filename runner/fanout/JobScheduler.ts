// The fan-out's port to the Kubernetes API: list nodes, list/create/delete node Jobs in its
// own namespace, create the ConfigMap and Secret that hand each Job its desired set, and read
// its own Pod (the image the node Jobs run).
// One production adapter (KubeJobScheduler, @kubernetes/client-node).
import type { V1ConfigMap, V1Job, V1Secret } from '@kubernetes/client-node';

/**
 * Errors: JobExistsError (409 on a Job create), ObjectExistsError (409 on another create), AuthError (401/403: RBAC too tight), NotFoundError
 * (404: already gone on delete), UpstreamError (unreachable, 429 or 5xx after retries).
 * Lists return raw items; the caller parses them with its schemas, so one malformed object
 * is counted rather than failing the whole list.
 */
export interface JobScheduler {
  listNodes(): Promise<unknown[]>;
  listJobs(namespace: string, labelSelector: string): Promise<unknown[]>;
  /** Returns the created Job's uid (what the handed ConfigMap and Secret name as their owner). */
  createJob(namespace: string, job: V1Job): Promise<{ uid: string }>;
  deleteJob(namespace: string, name: string): Promise<void>;
  /** 409 (exists already) is ObjectExistsError. */
  createConfigMap(namespace: string, configMap: V1ConfigMap): Promise<void>;
  /** 409 (exists already) is ObjectExistsError. */
  createSecret(namespace: string, secret: V1Secret): Promise<void>;
  /** One Pod, raw (the fan-out's own: its image); 404 is NotFoundError. */
  getPod(namespace: string, name: string): Promise<unknown>;
}
