// The object store behind the Kubernetes API fake (kube-api-fake.ts): objects by
// group/version/resource/namespace/name with uid, resourceVersion and creationTimestamp, and
// the verbs as the API server answers them (list with selectors and continue tokens, get,
// create, replace, merge patch, delete with propagationPolicy over ownerReferences).
import { randomUUID } from 'node:crypto';
import {
  apiVersionOf,
  type ResourceType,
  resourceTypeByKind,
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

export interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

interface ContinueToken {
  after: string;
  epoch: number;
  rv: number;
}

export type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class KubeObjectStore {
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private rv = 1000;
  /** Bumped by expireContinueTokens(): older tokens answer 410 Expired. */
  epoch = 0;

  constructor(private readonly now: () => Date) {}

  /** Adds or replaces an object directly (no admission checks). */
  put(object: KubeObject): KubeObject {
    const type = resourceTypeByKind(object.kind ?? '');
    const stored = this.stamp(type, structuredClone(object), this.find(type, object.metadata));
    this.bucket(type).set(objectKey(stored.metadata), stored);
    return structuredClone(stored);
  }

  remove(type: ResourceType, name: string, namespace?: string): boolean {
    return this.bucket(type).delete(objectKey({ name, namespace: type.namespaced ? namespace : undefined }));
  }

  all(type: ResourceType): KubeObject[] {
    return [...this.bucket(type).values()];
  }

  list(route: Route, params: URLSearchParams): Answer {
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

  get(route: Route): Answer {
    const found = this.find(route.type, route);
    return found
      ? { status: 200, body: found }
      : { status: 404, body: statuses.notFound(route.type, route.name ?? '') };
  }

  create(route: Route, body: KubeObject | undefined): Answer {
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

  replace(route: Route, body: KubeObject | undefined): Answer {
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

  patch(route: Route, patch: unknown): Answer {
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

  delete(route: Route, params: URLSearchParams, body: unknown): Answer {
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
    for (const bucket of this.buckets.values()) {
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

  stamp(type: ResourceType, object: KubeObject, existing: KubeObject | undefined): KubeObject {
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

  bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  find(type: ResourceType, where: { name?: string; namespace?: string }): KubeObject | undefined {
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
