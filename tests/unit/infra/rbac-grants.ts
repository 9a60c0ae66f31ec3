// RBAC as the API server applies it, for the tests: the (verb, group, resource, namespace) a
// request needs, read from its path, and the rules a ServiceAccount holds through the
// ClusterRoleBindings and RoleBindings of a kustomize build.
import type { Resource } from './kustomize.ts';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
export interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
}

/** The (verb, group, resource, namespace) a request needs, read from its path. */
export function accessOf(method: string, path: string): Access {
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(
    path,
  );
  if (!match) throw new Error(`unexpected path ${path}`);
  const [, group = '', namespace, resource = '', name] = match;
  const verb = {
    GET: name ? 'get' : 'list',
    POST: 'create',
    DELETE: 'delete',
    PUT: 'update',
    PATCH: 'patch',
  }[method];
  if (!verb) throw new Error(`unexpected method ${method}`);
  return { verb, group, resource, namespace };
}

/** The rules granted to a ServiceAccount: cluster-wide through ClusterRoleBindings, per namespace through RoleBindings. */
export function grantsFor(resources: Resource[], account: string) {
  const bound = (binding: Resource) =>
    (binding as unknown as { subjects: { kind: string; name: string }[] }).subjects.some(
      (s) => s.kind === 'ServiceAccount' && s.name === account,
    );
  const roleOf = (binding: Resource) => {
    const ref = (binding as unknown as { roleRef: { kind: string; name: string } }).roleRef;
    const role = resources.find((r) => r.kind === ref.kind && r.metadata.name === ref.name);
    if (!role) throw new Error(`${binding.metadata.name} binds missing ${ref.kind}/${ref.name}`);
    return (role as unknown as { rules: Rule[] }).rules;
  };
  return [
    ...resources
      .filter((r) => r.kind === 'ClusterRoleBinding' && bound(r))
      .flatMap((b) => roleOf(b).map((rule) => ({ rule, namespace: undefined as string | undefined }))),
    ...resources
      .filter((r) => r.kind === 'RoleBinding' && bound(r))
      .flatMap((b) => roleOf(b).map((rule) => ({ rule, namespace: b.metadata.namespace }))),
  ];
}

/** The `verb group/resource` pairs a set of grants holds. */
export function grantedPairs(grants: ReturnType<typeof grantsFor>): Set<string> {
  return new Set(
    grants.flatMap(({ rule }) =>
      rule.apiGroups.flatMap((g) =>
        rule.resources.flatMap((res) => rule.verbs.map((v) => `${v} ${g}/${res}`)),
      ),
    ),
  );
}

/** The requests no grant allows, and the `verb group/resource` pairs that were used. */
export function checkAccess(
  requests: { method: string; path: string }[],
  grants: ReturnType<typeof grantsFor>,
): { denied: string[]; used: Set<string> } {
  const denied: string[] = [];
  const used = new Set<string>();
  for (const request of requests) {
    const access = accessOf(request.method, request.path);
    const allowed = grants.some(
      ({ rule, namespace }) =>
        (namespace === undefined || namespace === access.namespace) &&
        rule.apiGroups.includes(access.group) &&
        rule.resources.includes(access.resource) &&
        rule.verbs.includes(access.verb),
    );
    if (allowed) used.add(`${access.verb} ${access.group}/${access.resource}`);
    else
      denied.push(`${access.verb} ${access.group}/${access.resource} in ${access.namespace ?? '(cluster)'}`);
  }
  return { denied, used };
}
