// The resource table and the `Status` bodies of the Kubernetes API fake (kube-api-fake.ts):
// which group/version/plural each kind lives under, and the exact shape the API server
// uses for its error answers (kind Status, reason, details, code).

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Kubernetes answers a DELETE of these with the object itself rather than a Status. */
  returnsDeletedObject?: boolean;
  /** Default propagationPolicy on DELETE (batch/v1 Jobs still orphan by default over the API). */
  defaultPropagation?: 'Orphan' | 'Background';
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, returnsDeletedObject: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  {
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    kind: 'Job',
    namespaced: true,
    defaultPropagation: 'Orphan',
  },
  { group: 'batch', version: 'v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
];

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export function typeKey(type: ResourceType): string {
  return `${type.group}/${type.version}/${type.plural}`;
}

export function resourceTypeByKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((candidate) => candidate.kind === kind);
  if (!type) throw new Error(`kube-api-fake: kind ${kind} is not served (add it to RESOURCE_TYPES)`);
  return type;
}

export function resourceTypeByPath(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    (type) => type.group === group && type.version === version && type.plural === plural,
  );
}

/** A `Status` object exactly as the API server writes it for a failure. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; retryAfterSeconds?: number };
  code: number;
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function resourceLabel(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

function details(type: ResourceType, name?: string): KubeStatus['details'] {
  return { ...(name ? { name } : {}), ...(type.group ? { group: type.group } : {}), kind: type.plural };
}

export const statuses = {
  notFound: (type: ResourceType, name: string) =>
    failure(404, 'NotFound', `${resourceLabel(type)} "${name}" not found`, details(type, name)),
  namespaceNotFound: (name: string) =>
    failure(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }),
  noRoute: () => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  alreadyExists: (type: ResourceType, name: string) =>
    failure(409, 'AlreadyExists', `${resourceLabel(type)} "${name}" already exists`, details(type, name)),
  conflict: (type: ResourceType, name: string) =>
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceLabel(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details(type, name),
    ),
  invalid: (type: ResourceType, name: string, message: string) =>
    failure(422, 'Invalid', `${type.kind} "${name}" is invalid: ${message}`, details(type, name)),
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  expired: () =>
    failure(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    ),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (type: ResourceType | undefined, verb: string, namespace: string | undefined) =>
    failure(
      403,
      'Forbidden',
      `${type ? resourceLabel(type) : 'resource'} is forbidden: User "system:serviceaccount:imagewarden:runner" cannot ${verb} resource "${type?.plural ?? 'unknown'}" in API group "${type?.group ?? ''}" ${namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'}`,
      type ? details(type) : {},
    ),
  internal: (message = 'etcdserver: request timed out') =>
    failure(500, 'InternalError', `Internal error occurred: ${message}`, {}),
  tooManyRequests: (retryAfterSeconds: number) =>
    failure(
      429,
      'TooManyRequests',
      'the server has received too many requests and has asked us to try again later',
      {
        retryAfterSeconds,
      },
    ),
  methodNotAllowed: () =>
    failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  success: (type: ResourceType, name: string, uid: string): KubeStatus => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...details(type, name), uid },
    code: 200,
  }),
};
