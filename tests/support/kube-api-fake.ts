/**
 * A faithful, in-memory Kubernetes API server for tests: a real HTTP server on 127.0.0.1:0
 * that @kubernetes/client-node talks to exactly as it talks to a cluster.
 *
 * Usage:
 *   const api = await KubeApiFake.start();               // default, kube-system, kube-public exist
 *   api.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
 *   const kc = api.kubeConfig();                         // KubeConfig pointing at the fake
 *   const core = kc.makeApiClient(CoreV1Api);
 *   ... act ...
 *   expect(api.unhandled).toEqual([]);                   // no request hit a route the fake lacks
 *   expect(api.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/pods')).toHaveLength(2);
 *   await api.stop();
 *
 * Served (RESOURCE_TYPES in kube-api-fake-resources.ts): core/v1 nodes, namespaces, pods,
 * secrets, events, configmaps, serviceaccounts; apps/v1 deployments, replicasets, statefulsets, daemonsets;
 * batch/v1 jobs, cronjobs. Verbs: list (cluster-wide and namespaced, `limit` + `continue`,
 * 410 Expired for a token older than `expireContinueTokens()`, `labelSelector`,
 * `fieldSelector`), get, create (POST: 409 AlreadyExists, generateName, uid,
 * resourceVersion, creationTimestamp; 404 when the namespace does not exist), replace (PUT
 * with resourceVersion conflict), patch (merge-patch and strategic-merge-patch, both applied
 * as an RFC 7386 merge), delete (propagationPolicy Orphan/Background/Foreground over
 * ownerReferences; Jobs orphan by default, as in Kubernetes). Errors are real `Status` bodies.
 *
 * Faults: `api.fault({ method: 'GET', path: '/apis/apps/v1/deployments', times: 1 }, { kind: 'status', code: 500 })`
 * (optionally `when: (query) => query.has('continue')`) with kinds status (any code),
 * forbidden, throttle (429 + Retry-After), expired (410), truncated (200 with the real body
 * cut in half) and hang (never answers; stop() cuts it off). Unimplemented
 * routes (watch, subresources, discovery, unknown resources) answer 404 and are recorded in
 * `unhandled`, which a test asserts is empty.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  type KubeStatus,
  resourceTypeByKind,
  resourceTypeByPath,
  statuses,
} from './kube-api-fake-resources.ts';
import { type Answer, type KubeObject, KubeObjectStore, type Route } from './kube-api-fake-store.ts';

export type { KubeMetadata, KubeObject } from './kube-api-fake-store.ts';

export type Fault =
  | { kind: 'status'; code: number; message?: string }
  | { kind: 'forbidden' }
  | { kind: 'throttle'; retryAfterSeconds?: number }
  | { kind: 'truncated' }
  /** 410 Expired, as for a continue token older than a compaction. */
  | { kind: 'expired' }
  | { kind: 'hang' };

export interface FaultMatch {
  method?: string;
  /** Exact path (no query) or a RegExp tested against the path. */
  path?: string | RegExp;
  /** Only requests whose query passes, e.g. `(q) => q.has('continue')`. */
  when?: (query: URLSearchParams) => boolean;
  /** How many matching requests get the fault; unlimited by default. */
  times?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Status sent; 0 for a hung request. */
  status: number;
  /** Bytes of the response body sent (what a client reads off the wire). */
  bytes: number;
  fault?: Fault['kind'];
}

export interface KubeApiFakeOptions {
  token?: string;
  now?: () => Date;
  /** Namespaces that exist from the start, like a fresh cluster's. */
  namespaces?: string[];
}

export class KubeApiFake {
  readonly requests: RequestRecord[] = [];
  /** Requests that hit a route the fake does not implement; a test asserts this is empty. */
  readonly unhandled: string[] = [];
  readonly token: string;
  url = '';
  private readonly store: KubeObjectStore;
  private readonly faults: { match: FaultMatch; fault: Fault; left: number }[] = [];
  private readonly hung: ServerResponse[] = [];
  private server: Server | undefined;

  private constructor(options: KubeApiFakeOptions) {
    this.token = options.token ?? 'test-token';
    this.store = new KubeObjectStore(options.now ?? (() => new Date()));
    for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
    }
  }

  static async start(options: KubeApiFakeOptions = {}): Promise<KubeApiFake> {
    const fake = new KubeApiFake(options);
    const server = createServer((req, res) => {
      // a crash of the fake fails the test through `unhandled` instead of leaving the client hanging
      fake.handle(req, res).catch((error: unknown) => {
        fake.unhandled.push(`${req.method} ${req.url}: fake crashed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.server = server;
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** A KubeConfig for this fake (plain http needs skipTLSVerify in client-node). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'runner', token: this.token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'runner' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The same, as a kubeconfig file's YAML (for commands that read `runner.kubeconfig`). */
  kubeconfigYaml(): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'runner', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'runner' } }],
      'current-context': 'fake',
    });
  }

  /** Adds or replaces an object directly (no admission checks), filling uid, resourceVersion and timestamps. */
  put(object: KubeObject): KubeObject {
    return this.store.put(object);
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    const found = this.store.find(resourceTypeByKind(kind), { name, namespace });
    return found ? structuredClone(found) : undefined;
  }

  list(kind: string, namespace?: string): KubeObject[] {
    return this.store
      .all(resourceTypeByKind(kind))
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .map((object) => structuredClone(object));
  }

  remove(kind: string, name: string, namespace?: string): boolean {
    return this.store.remove(resourceTypeByKind(kind), name, namespace);
  }

  fault(match: FaultMatch, fault: Fault): void {
    this.faults.push({ match, fault, left: match.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Makes every continue token issued so far answer 410 Expired, as after etcd compaction. */
  expireContinueTokens(): void {
    this.store.epoch += 1;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const record: RequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      bytes: 0,
    };
    this.requests.push(record);
    const raw = await readBody(req);
    const fault = this.takeFault(method, url);
    if (fault) record.fault = fault.kind;
    if (fault?.kind === 'hang') {
      this.hung.push(res);
      return;
    }
    const answer = this.answerFault(fault, method, url) ?? this.answer(method, url, raw, req);
    record.status = answer.status;
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    const sent = fault?.kind === 'truncated' ? text.slice(0, Math.floor(text.length / 2)) : text;
    record.bytes = Buffer.byteLength(sent);
    res.end(sent);
  }

  private takeFault(method: string, url: URL): Fault | undefined {
    const path = url.pathname;
    const rule = this.faults.find(
      ({ match, left }) =>
        left > 0 &&
        (match.when === undefined || match.when(url.searchParams)) &&
        (match.method === undefined || match.method.toUpperCase() === method) &&
        (match.path === undefined ||
          (typeof match.path === 'string' ? match.path === path : match.path.test(path))),
    );
    if (!rule) return undefined;
    rule.left -= 1;
    return rule.fault;
  }

  private answerFault(fault: Fault | undefined, method: string, url: URL): Answer | undefined {
    if (!fault || fault.kind === 'truncated' || fault.kind === 'hang') return undefined;
    if (fault.kind === 'status') {
      const status =
        fault.code >= 500
          ? statuses.internal(fault.message)
          : { ...statuses.badRequest(fault.message ?? 'fault'), code: fault.code };
      return { status: fault.code, body: { ...status, code: fault.code } };
    }
    if (fault.kind === 'expired') return { status: 410, body: statuses.expired() };
    if (fault.kind === 'throttle') {
      const seconds = fault.retryAfterSeconds ?? 1;
      return {
        status: 429,
        body: statuses.tooManyRequests(seconds),
        headers: { 'retry-after': String(seconds) },
      };
    }
    const route = this.route(url.pathname);
    const verb =
      method === 'GET' ? (route?.name ? 'get' : 'list') : method === 'POST' ? 'create' : method.toLowerCase();
    return { status: 403, body: statuses.forbidden(route?.type, verb, route?.namespace) };
  }

  private answer(method: string, url: URL, raw: string, req: IncomingMessage): Answer {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return { status: 401, body: statuses.unauthorized() };
    }
    const route = this.route(url.pathname);
    if (!route || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      return this.unimplemented(method, url);
    }
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      return { status: 400, body: statuses.badRequest('the request body is not valid JSON') };
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (route.name === undefined) {
      if (method === 'GET') return this.store.list(route, url.searchParams);
      if (method === 'POST') return this.store.create(route, body as KubeObject | undefined);
    } else {
      if (method === 'GET') return this.store.get(route);
      if (method === 'PUT') return this.store.replace(route, body as KubeObject | undefined);
      if (method === 'PATCH' && /merge-patch\+json/.test(contentType)) return this.store.patch(route, body);
      if (method === 'DELETE') return this.store.delete(route, url.searchParams, body);
    }
    return this.unimplemented(method, url);
  }

  private unimplemented(method: string, url: URL): Answer {
    this.unhandled.push(`${method} ${url.pathname}${url.search}`);
    return { status: 404, body: statuses.noRoute() };
  }

  private route(pathname: string): Route | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1]) {
      [group, version, rest] = ['', parts[1], parts.slice(2)];
    } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
      [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
    } else {
      return undefined;
    }
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const type = resourceTypeByPath(group, version, rest[2] ?? '');
      if (!type?.namespaced || rest.length > 4) return undefined;
      return { type, namespace: rest[1], name: rest[3] };
    }
    const type = resourceTypeByPath(group, version, rest[0] ?? '');
    if (!type || rest.length > 2 || (type.namespaced && rest.length > 1)) return undefined;
    return { type, name: rest[1] };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type { KubeStatus };
