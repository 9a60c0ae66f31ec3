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
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  apiVersionOf,
  type KubeStatus,
  type ResourceType,
  resourceTypeByKind,
  resourceTypeByPath,
  statuses,
  typeKey,
} from './kube-api-fake-resources.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './kube-api-fake-selectors.ts';

export interface KubeMetadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

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
  fault?: Fault['kind'];
}

export interface KubeApiFakeOptions {
  token?: string;
  now?: () => Date;
  /** Namespaces that exist from the start, like a fresh cluster's. */
  namespaces?: string[];
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

interface ContinueToken {
  after: string;
  epoch: number;
  rv: number;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class KubeApiFake {
  readonly requests: RequestRecord[] = [];
  /** Requests that hit a route the fake does not implement; a test asserts this is empty. */
  readonly unhandled: string[] = [];
  readonly token: string;
  url = '';
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly faults: { match: FaultMatch; fault: Fault; left: number }[] = [];
  private readonly hung: ServerResponse[] = [];
  private readonly now: () => Date;
  private server: Server | undefined;
  private rv = 1000;
  private epoch = 0;

  private constructor(options: KubeApiFakeOptions) {
    this.token = options.token ?? 'test-token';
    this.now = options.now ?? (() => new Date());
    for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
    }
  }

  static async start(options: KubeApiFakeOptions = {}): Promise<KubeApiFake> {
    const fake = new KubeApiFake(options);
    const server = createServer((req, res) => void fake.handle(req, res));
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

  /** Adds or replaces an object directly (no admission checks), filling uid, resourceVersion and timestamps. */
  put(object: KubeObject): KubeObject {
    const type = resourceTypeByKind(object.kind ?? '');
    const stored = this.stamp(type, structuredClone(object), this.find(type, object.metadata));
    this.bucket(type).set(objectKey(stored.metadata), stored);
    return structuredClone(stored);
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    const found = this.find(resourceTypeByKind(kind), { name, namespace });
    return found ? structuredClone(found) : undefined;
  }

  list(kind: string, namespace?: string): KubeObject[] {
    return [...this.bucket(resourceTypeByKind(kind)).values()]
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .map((object) => structuredClone(object));
  }

  remove(kind: string, name: string, namespace?: string): boolean {
    return this.bucket(resourceTypeByKind(kind)).delete(objectKey({ name, namespace }));
  }

  fault(match: FaultMatch, fault: Fault): void {
    this.faults.push({ match, fault, left: match.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Makes every continue token issued so far answer 410 Expired, as after etcd compaction. */
  expireContinueTokens(): void {
    this.epoch += 1;
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
    res.end(fault?.kind === 'truncated' ? text.slice(0, Math.floor(text.length / 2)) : text);
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
      if (method === 'GET') return this.listRoute(route, url.searchParams);
      if (method === 'POST') return this.createRoute(route, body as KubeObject | undefined);
    } else {
      if (method === 'GET') return this.getRoute(route);
      if (method === 'PUT') return this.replaceRoute(route, body as KubeObject | undefined);
      if (method === 'PATCH' && /merge-patch\+json/.test(contentType)) return this.patchRoute(route, body);
      if (method === 'DELETE') return this.deleteRoute(route, url.searchParams, body);
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

  private listRoute(route: Route, params: URLSearchParams): Answer {
    let items = [...this.bucket(route.type).entries()]
      .filter(([, object]) => route.namespace === undefined || object.metadata.namespace === route.namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    try {
      const labels = params.get('labelSelector');
      if (labels) {
        const matches = parseLabelSelector(labels);
        items = items.filter(([, object]) => matches(object.metadata.labels));
      }
      const fields = params.get('fieldSelector');
      if (fields) {
        const matches = parseFieldSelector(fields);
        items = items.filter(([, object]) => matches(object as Record<string, unknown>));
      }
    } catch (error) {
      if (error instanceof SelectorError) return { status: 400, body: statuses.badRequest(error.message) };
      throw error;
    }
    let listRv = this.rv;
    const token = params.get('continue');
    if (token) {
      const decoded = decodeContinue(token);
      if (!decoded) return { status: 400, body: statuses.badRequest(`continue key is not valid: ${token}`) };
      if (decoded.epoch !== this.epoch) return { status: 410, body: statuses.expired() };
      listRv = decoded.rv;
      items = items.filter(([key]) => key > decoded.after);
    }
    const limit = Number(params.get('limit') ?? '0');
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1]?.[0] ?? '';
      metadata.continue = encodeContinue({ after: last, epoch: this.epoch, rv: listRv });
      metadata.remainingItemCount = items.length - limit;
      items = page;
    }
    return {
      status: 200,
      body: {
        kind: `${route.type.kind}List`,
        apiVersion: apiVersionOf(route.type),
        metadata,
        // list items carry no kind/apiVersion, as the real API server writes them
        items: items.map(([, { kind: _kind, apiVersion: _apiVersion, ...object }]) => object),
      },
    };
  }

  private getRoute(route: Route): Answer {
    const found = this.find(route.type, route);
    return found
      ? { status: 200, body: found }
      : { status: 404, body: statuses.notFound(route.type, route.name ?? '') };
  }

  private createRoute(route: Route, body: KubeObject | undefined): Answer {
    const { type, namespace } = route;
    if (!body?.metadata || typeof body.metadata !== 'object') {
      return { status: 400, body: statuses.badRequest("Object 'metadata' is missing in the request body") };
    }
    if (namespace !== undefined) {
      if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
        return {
          status: 400,
          body: statuses.badRequest(
            'the namespace of the provided object does not match the namespace sent on the request',
          ),
        };
      }
      if (!this.find(resourceTypeByKind('Namespace'), { name: namespace })) {
        return { status: 404, body: statuses.namespaceNotFound(namespace) };
      }
    }
    let name = body.metadata.name;
    if (!name && body.metadata.generateName) {
      name = `${body.metadata.generateName}${randomSuffix()}`;
    }
    if (!name) {
      return {
        status: 422,
        body: statuses.invalid(type, '', 'metadata.name: Required value: name or generateName is required'),
      };
    }
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      return {
        status: 422,
        body: statuses.invalid(
          type,
          name,
          `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
        ),
      };
    }
    const metadata = { ...body.metadata, name, ...(namespace ? { namespace } : {}) };
    if (this.find(type, metadata)) return { status: 409, body: statuses.alreadyExists(type, name) };
    const object = this.stamp(type, { ...body, metadata }, undefined);
    this.bucket(type).set(objectKey(object.metadata), object);
    return { status: 201, body: object };
  }

  private replaceRoute(route: Route, body: KubeObject | undefined): Answer {
    const existing = this.find(route.type, route);
    if (!existing) return { status: 404, body: statuses.notFound(route.type, route.name ?? '') };
    if (!body?.metadata) return { status: 400, body: statuses.badRequest("Object 'metadata' is missing") };
    if (
      body.metadata.resourceVersion &&
      body.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      return { status: 409, body: statuses.conflict(route.type, route.name ?? '') };
    }
    const object = this.stamp(
      route.type,
      { ...body, metadata: { ...body.metadata, name: route.name, namespace: route.namespace } },
      existing,
    );
    this.bucket(route.type).set(objectKey(object.metadata), object);
    return { status: 200, body: object };
  }

  private patchRoute(route: Route, patch: unknown): Answer {
    const existing = this.find(route.type, route);
    if (!existing) return { status: 404, body: statuses.notFound(route.type, route.name ?? '') };
    const merged = mergePatch(existing, patch) as KubeObject;
    const object = this.stamp(
      route.type,
      { ...merged, metadata: { ...merged.metadata, name: route.name, namespace: route.namespace } },
      existing,
    );
    this.bucket(route.type).set(objectKey(object.metadata), object);
    return { status: 200, body: object };
  }

  private deleteRoute(route: Route, params: URLSearchParams, body: unknown): Answer {
    const existing = this.find(route.type, route);
    if (!existing) return { status: 404, body: statuses.notFound(route.type, route.name ?? '') };
    const fromBody = (body as { propagationPolicy?: string } | undefined)?.propagationPolicy;
    const policy =
      params.get('propagationPolicy') ?? fromBody ?? route.type.defaultPropagation ?? 'Background';
    this.bucket(route.type).delete(objectKey(existing.metadata));
    this.cascade(existing.metadata.uid ?? '', policy);
    return route.type.returnsDeletedObject
      ? { status: 200, body: existing }
      : { status: 200, body: statuses.success(route.type, route.name ?? '', existing.metadata.uid ?? '') };
  }

  /** Deletes (Background/Foreground) or orphans (Orphan) every object owned by `uid`. */
  private cascade(uid: string, policy: string): void {
    for (const bucket of this.store.values()) {
      for (const [key, object] of [...bucket.entries()]) {
        const refs = object.metadata.ownerReferences ?? [];
        if (!refs.some((ref) => ref.uid === uid)) continue;
        if (policy === 'Orphan') {
          object.metadata.ownerReferences = refs.filter((ref) => ref.uid !== uid);
        } else {
          bucket.delete(key);
          this.cascade(object.metadata.uid ?? '', policy);
        }
      }
    }
  }

  private stamp(type: ResourceType, object: KubeObject, existing: KubeObject | undefined): KubeObject {
    this.rv += 1;
    const metadata: KubeMetadata = {
      ...object.metadata,
      uid: existing?.metadata.uid ?? object.metadata.uid ?? randomUUID(),
      resourceVersion: String(this.rv),
      creationTimestamp:
        existing?.metadata.creationTimestamp ??
        object.metadata.creationTimestamp ??
        this.now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
    };
    if (!type.namespaced) delete metadata.namespace;
    return { ...object, apiVersion: apiVersionOf(type), kind: type.kind, metadata };
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let bucket = this.store.get(key);
    if (!bucket) {
      bucket = new Map();
      this.store.set(key, bucket);
    }
    return bucket;
  }

  private find(type: ResourceType, where: { name?: string; namespace?: string }): KubeObject | undefined {
    if (!where.name) return undefined;
    return this.bucket(type).get(
      objectKey({ name: where.name, namespace: type.namespaced ? where.namespace : undefined }),
    );
  }
}

function objectKey(metadata: { name?: string; namespace?: string }): string {
  return `${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
}

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1)
    suffix += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return suffix;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof value.after !== 'string' || typeof value.epoch !== 'number' || typeof value.rv !== 'number')
      return undefined;
    return value as ContinueToken;
  } catch {
    return undefined;
  }
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type { KubeStatus };
