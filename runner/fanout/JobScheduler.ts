// The fan-out's port to the Kubernetes API: list nodes, list/create/delete node Jobs in its
// own namespace. One production adapter (KubeJobScheduler, @kubernetes/client-node).
import type { V1Job } from '@kubernetes/client-node';

/**
 * Errors: JobExistsError (409 on create), AuthError (401/403: RBAC too tight), NotFoundError
 * (404: already gone on delete), UpstreamError (unreachable, 429 or 5xx after retries).
 * Lists return raw items; the caller parses them with its schemas, so one malformed object
 * is counted rather than failing the whole list.
 */
export interface JobScheduler {
  listNodes(): Promise<unknown[]>;
  listJobs(namespace: string, labelSelector: string): Promise<unknown[]>;
  createJob(namespace: string, job: V1Job): Promise<void>;
  deleteJob(namespace: string, name: string): Promise<void>;
}
