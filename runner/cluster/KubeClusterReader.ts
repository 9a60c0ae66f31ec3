// ClusterReader over @kubernetes/client-node: typed API clients, `limit`/`continue` paging
// (a 410 Expired restarts the list once, as the API docs advise), a per-request timeout,
// retries with backoff for 429/5xx/network errors, and errors mapped to our hierarchy.

import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { z } from 'zod';
import { AuthError, errorMessage, UpstreamError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { silentLogger } from '../../core/logger.ts';
import { defaultSleep, retry } from '../../core/retry.ts';
import { retryable } from '../../core/retryable.ts';
import type { ClusterReader, ListOptions } from './ClusterReader.ts';
import { withRequestSignal } from './request-signal.ts';
import {
  type ClusterEvent,
  type InvalidItem,
  KubeNamespace,
  KubeNode,
  KubePod,
  KubeSecret,
  KubeServiceAccount,
  type Listed,
  type Workload,
  type WorkloadKind,
} from './types.ts';
import { toWorkloads } from './workloads.ts';

export interface KubeClusterReaderOptions {
  kubeConfig: KubeConfig;
  logger?: Logger;
  /** Items per list page (`limit`). */
  pageSize?: number;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** Attempts per request, including the first. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface Page {
  items: unknown[];
  metadata?: { _continue?: string };
}
type PageFetcher = (cont: string | undefined, limit: number, options: unknown) => Promise<Page>;

const statusOf = (error: unknown): number | undefined =>
  error instanceof ApiException ? error.code : undefined;

export class KubeClusterReader implements ClusterReader {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly host: string;
  private readonly logger: Logger;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;

  constructor(options: KubeClusterReaderOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.host = options.kubeConfig.getCurrentCluster()?.server ?? 'kubernetes';
    this.logger = options.logger ?? silentLogger();
    this.pageSize = options.pageSize ?? 500;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = options.attempts ?? 3;
    this.sleep = options.sleep;
  }

  async getNode(name: string): Promise<KubeNode | undefined> {
    const raw = await this.getOrUndefined(`node ${name}`, (options) =>
      this.core.readNode({ name }, options as never),
    );
    return raw === undefined ? undefined : KubeNode.parse(raw);
  }

  listNodes(options: ListOptions = {}): Promise<Listed<KubeNode>> {
    return this.listParsed('Node', KubeNode, (cont, limit, o) =>
      this.core.listNode({ ...options, _continue: cont, limit }, o as never),
    );
  }

  listNamespaces(options: ListOptions = {}): Promise<Listed<KubeNamespace>> {
    return this.listParsed('Namespace', KubeNamespace, (cont, limit, o) =>
      this.core.listNamespace({ ...options, _continue: cont, limit }, o as never),
    );
  }

  listPods(options: ListOptions & { namespace?: string; nodeName?: string } = {}): Promise<Listed<KubePod>> {
    const { namespace, nodeName, ...rest } = options;
    const fieldSelector = [rest.fieldSelector, nodeName ? `spec.nodeName=${nodeName}` : undefined]
      .filter(Boolean)
      .join(',');
    const query = { ...rest, ...(fieldSelector ? { fieldSelector } : {}) };
    return this.listParsed('Pod', KubePod, (cont, limit, o) =>
      namespace
        ? this.core.listNamespacedPod({ ...query, namespace, _continue: cont, limit }, o as never)
        : this.core.listPodForAllNamespaces({ ...query, _continue: cont, limit }, o as never),
    );
  }

  async listWorkloads(kind: WorkloadKind): Promise<Listed<Workload>> {
    const fetchers: Record<WorkloadKind, PageFetcher> = {
      Deployment: (c, limit, o) =>
        this.apps.listDeploymentForAllNamespaces({ _continue: c, limit }, o as never),
      StatefulSet: (c, limit, o) =>
        this.apps.listStatefulSetForAllNamespaces({ _continue: c, limit }, o as never),
      DaemonSet: (c, limit, o) =>
        this.apps.listDaemonSetForAllNamespaces({ _continue: c, limit }, o as never),
      ReplicaSet: (c, limit, o) =>
        this.apps.listReplicaSetForAllNamespaces({ _continue: c, limit }, o as never),
      Job: (c, limit, o) => this.batch.listJobForAllNamespaces({ _continue: c, limit }, o as never),
      CronJob: (c, limit, o) => this.batch.listCronJobForAllNamespaces({ _continue: c, limit }, o as never),
      Pod: (c, limit, o) => this.core.listPodForAllNamespaces({ _continue: c, limit }, o as never),
    };
    const raws = await this.listAll(kind, fetchers[kind]);
    return toWorkloads(kind, raws);
  }

  async getSecret(namespace: string, name: string): Promise<KubeSecret | undefined> {
    const raw = await this.getOrUndefined(`secret ${namespace}/${name}`, (options) =>
      this.core.readNamespacedSecret({ namespace, name }, options as never),
    );
    return raw === undefined ? undefined : KubeSecret.parse(raw);
  }

  async getServiceAccount(namespace: string, name: string): Promise<KubeServiceAccount | undefined> {
    const raw = await this.getOrUndefined(`serviceaccount ${namespace}/${name}`, (options) =>
      this.core.readNamespacedServiceAccount({ namespace, name }, options as never),
    );
    return raw === undefined ? undefined : KubeServiceAccount.parse(raw);
  }

  async createEvent(event: ClusterEvent): Promise<void> {
    const now = new Date();
    const namespace = event.namespace ?? event.involvedObject.namespace ?? 'default';
    await this.call(`create event ${event.reason}`, (options) =>
      this.core.createNamespacedEvent(
        {
          namespace,
          body: {
            metadata: { generateName: `${event.involvedObject.name}.`, namespace },
            involvedObject: event.involvedObject,
            reason: event.reason,
            message: event.message,
            type: event.type,
            source: { component: event.component, ...(event.host ? { host: event.host } : {}) },
            reportingComponent: event.component,
            reportingInstance: event.host ?? event.component,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        },
        options as never,
      ),
    );
  }

  private async listParsed<S extends z.ZodType>(
    kind: string,
    schema: S,
    fetchPage: PageFetcher,
  ): Promise<Listed<z.infer<S>>> {
    const raws = await this.listAll(kind, fetchPage);
    const items: z.infer<S>[] = [];
    const invalid: InvalidItem[] = [];
    for (const raw of raws) {
      const parsed = schema.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
      else {
        const metadata = (raw as { metadata?: { name?: string; namespace?: string } }).metadata;
        invalid.push({
          kind,
          ...(metadata?.name ? { name: metadata.name } : {}),
          ...(metadata?.namespace ? { namespace: metadata.namespace } : {}),
          message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        });
      }
    }
    return { items, invalid };
  }

  private async listAll(kind: string, fetchPage: PageFetcher): Promise<unknown[]> {
    for (let restart = 0; ; restart += 1) {
      const items: unknown[] = [];
      let cont: string | undefined;
      try {
        do {
          const page = await this.call(`list ${kind}`, (options) => fetchPage(cont, this.pageSize, options));
          items.push(...(page.items ?? []));
          cont = page.metadata?._continue || undefined;
        } while (cont);
        return items;
      } catch (error) {
        if (restart === 0 && error instanceof UpstreamError && error.status === 410) {
          this.logger.warn({ kind }, 'list continue token expired; restarting the list');
          continue;
        }
        throw error;
      }
    }
  }

  private async getOrUndefined<T>(
    what: string,
    fn: (options: unknown) => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await this.call(what, fn);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** One API call with a timeout, retried on 429/5xx/network errors, mapped to our errors. */
  private call<T>(what: string, fn: (options: unknown) => Promise<T>): Promise<T> {
    // a 429's Retry-After (capped) is a floor under the jittered backoff
    let retryAfterMs = 0;
    const sleep = this.sleep ?? defaultSleep;
    return retry(
      async () => {
        const signal = AbortSignal.timeout(this.timeoutMs);
        const options = withRequestSignal(signal);
        try {
          return await fn(options);
        } catch (error) {
          const header = error instanceof ApiException ? Number(error.headers?.['retry-after']) : Number.NaN;
          retryAfterMs = Number.isFinite(header) ? Math.min(header, 30) * 1000 : 0;
          throw this.mapError(what, error);
        }
      },
      {
        attempts: this.attempts,
        baseMs: 500,
        maxMs: 10_000,
        retryable,
        sleep: (ms) => sleep(Math.max(ms, retryAfterMs)),
        onRetry: (error, attempt, delayMs) =>
          this.logger.warn(
            { what, attempt, delayMs, err: errorMessage(error) },
            'Kubernetes API call failed; retrying',
          ),
      },
    );
  }

  private mapError(what: string, error: unknown): UpstreamError {
    const status = statusOf(error);
    if (status === undefined) {
      return new UpstreamError(this.host, `${what}: ${errorMessage(error)}`, { cause: error });
    }
    let reason = '';
    try {
      const body = JSON.parse(String((error as ApiException<string>).body)) as { message?: string };
      reason = body.message ?? '';
    } catch {
      reason = '';
    }
    const message = `${what}: HTTP ${status}${reason ? `: ${reason}` : ''}`;
    if (status === 401 || status === 403) return new AuthError(this.host, message, { cause: error, status });
    return new UpstreamError(this.host, message, { cause: error, status });
  }
}
