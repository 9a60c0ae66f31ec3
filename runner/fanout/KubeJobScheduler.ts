// JobScheduler over the Kubernetes API with @kubernetes/client-node: paginated lists
// (limit/continue), a per-request timeout, HTTP statuses mapped to imagewarden's errors,
// retries on 429/5xx, timeouts and network failures with backoff. A create retried after a
// timeout that did reach the server meets 409, which the fan-out counts as "exists already".

import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Job,
  type V1Secret,
} from '@kubernetes/client-node';
import { AuthError, errorMessage, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';
import { retry } from '../../core/retry.ts';
import { retryable as sharedRetryable } from '../../core/retryable.ts';
import { withRequestSignal } from '../cluster/request-signal.ts';
import { JobExistsError, ObjectExistsError } from './errors.ts';
import type { JobScheduler } from './JobScheduler.ts';

export interface KubeJobSchedulerOptions {
  /** Items per list page. */
  pageSize?: number;
  attempts?: number;
  /** Per-request timeout in ms (a hung API server must not hold the tick until its deadline). */
  timeoutMs?: number;
  baseMs?: number;
  maxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

// the shared rule (core/retryable), and a create that found its object already there is an
// answer, not a failure
const retryable = (error: unknown): boolean =>
  !(error instanceof JobExistsError || error instanceof ObjectExistsError) && sharedRetryable(error);

export class KubeJobScheduler implements JobScheduler {
  readonly #core: CoreV1Api;
  readonly #batch: BatchV1Api;
  readonly #host: string;
  readonly #options: Required<Omit<KubeJobSchedulerOptions, 'sleep' | 'logger'>> &
    Pick<KubeJobSchedulerOptions, 'sleep'>;
  readonly #logger: Logger;

  constructor(kubeConfig: KubeConfig, options: KubeJobSchedulerOptions = {}) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#batch = kubeConfig.makeApiClient(BatchV1Api);
    this.#host = kubeConfig.getCurrentCluster()?.server ?? 'kubernetes';
    const { logger, ...rest } = options;
    this.#options = { pageSize: 250, attempts: 3, timeoutMs: 30_000, baseMs: 500, maxMs: 8000, ...rest };
    this.#logger = logger ?? silentLogger();
  }

  listNodes(): Promise<unknown[]> {
    return this.#paginate('list nodes', (cont, options) =>
      this.#core.listNode({ limit: this.#options.pageSize, _continue: cont }, options),
    );
  }

  listJobs(namespace: string, labelSelector: string): Promise<unknown[]> {
    return this.#paginate(`list jobs in ${namespace}`, (cont, options) =>
      this.#batch.listNamespacedJob(
        { namespace, labelSelector, limit: this.#options.pageSize, _continue: cont },
        options,
      ),
    );
  }

  async createJob(namespace: string, job: V1Job): Promise<{ uid: string }> {
    const name = job.metadata?.name ?? '(unnamed)';
    const created = await this.#call(
      `create job ${namespace}/${name}`,
      (options) => this.#batch.createNamespacedJob({ namespace, body: job }, options),
      { job: name },
    );
    const uid = created?.metadata?.uid;
    if (!uid)
      throw new UpstreamError(this.#host, `create job ${namespace}/${name}: the answer carries no uid`);
    return { uid };
  }

  async createConfigMap(namespace: string, configMap: V1ConfigMap): Promise<void> {
    const what = `configmap ${namespace}/${configMap.metadata?.name ?? '(unnamed)'}`;
    await this.#call(
      `create ${what}`,
      (options) => this.#core.createNamespacedConfigMap({ namespace, body: configMap }, options),
      { object: what },
    );
  }

  async createSecret(namespace: string, secret: V1Secret): Promise<void> {
    const what = `secret ${namespace}/${secret.metadata?.name ?? '(unnamed)'}`;
    await this.#call(
      `create ${what}`,
      (options) => this.#core.createNamespacedSecret({ namespace, body: secret }, options),
      { object: what },
    );
  }

  getPod(namespace: string, name: string): Promise<unknown> {
    return this.#call(`get pod ${namespace}/${name}`, (options) =>
      this.#core.readNamespacedPod({ namespace, name }, options),
    );
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    // Background propagation: the Job's pods go with it.
    await this.#call(`delete job ${namespace}/${name}`, (options) =>
      this.#batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }, options),
    );
  }

  async #paginate(
    what: string,
    page: (
      cont: string | undefined,
      options: CallOptions,
    ) => Promise<{ items: unknown[]; metadata?: { _continue?: string } }>,
  ): Promise<unknown[]> {
    let items: unknown[] = [];
    let cont: string | undefined;
    let restarted = false;
    for (;;) {
      try {
        const list = await this.#call(what, (options) => page(cont, options));
        items.push(...(Array.isArray(list.items) ? list.items : []));
        cont = list.metadata?._continue || undefined;
        if (!cont) break;
      } catch (error) {
        // 410 Expired: the continue token outlived a compaction; the API docs say start over.
        if (restarted || !(error instanceof UpstreamError && error.status === 410)) throw error;
        this.#logger.warn({ what }, 'list continue token expired; listing again from the start');
        restarted = true;
        items = [];
        cont = undefined;
      }
    }
    return items;
  }

  #call<T>(what: string, fn: (options: CallOptions) => Promise<T>, created?: Created): Promise<T> {
    return retry(
      async () => {
        try {
          return await fn(withTimeout(AbortSignal.timeout(this.#options.timeoutMs)));
        } catch (error) {
          throw this.#translate(what, error, created);
        }
      },
      {
        ...this.#options,
        retryable,
        onRetry: (error, attempt, delayMs) =>
          this.#logger.warn(
            { what, attempt, delayMs, err: errorMessage(error) },
            'Kubernetes API call failed; retrying',
          ),
      },
    );
  }

  #translate(what: string, error: unknown, created: Created | undefined): Error {
    if (!(error instanceof ApiException)) {
      return new UpstreamError(
        this.#host,
        `${what}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const status = error.code;
    const reason = statusMessage(error.body) ?? `HTTP ${status}`;
    if (status === 409 && created?.job !== undefined)
      return new JobExistsError(created.job, { cause: error });
    if (status === 409 && created?.object !== undefined)
      return new ObjectExistsError(created.object, { cause: error });
    if (status === 401 || status === 403)
      return new AuthError(
        this.#host,
        `${what}: forbidden (${reason}); check the fan-out RBAC in infra/base/rbac.yaml`,
        {
          status,
          cause: error,
        },
      );
    if (status === 404) return new NotFoundError(`${what}: not found (${reason})`, { cause: error });
    return new UpstreamError(this.#host, `${what}: ${reason}`, { status, cause: error });
  }
}

/** What a create call makes, so a 409 becomes the matching "exists already" error. */
type Created = { job?: string; object?: string };

/** Per-call options of client-node's object API (its type is not exported under a stable name). */
type CallOptions = never;

/** Options that abort one request with a signal. */
function withTimeout(signal: AbortSignal): CallOptions {
  return withRequestSignal(signal) as never;
}

/** The message of a Kubernetes Status body, which the client hands over as a string or object. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string')
    return (value as { message: string }).message;
  return undefined;
}
