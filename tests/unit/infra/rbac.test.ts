// The fan-out's RBAC is enough and no more: every request a real tick makes (against the
// Kubernetes API fake, through the production adapter) is allowed by the roles bound to
// the fan-out ServiceAccount in infra/base, and nothing in those roles goes unused. A tick is
// the Jobs step and the once-per-tick SELinux audit, as `runner fanout` runs them.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import { KubeClusterReader } from '../../../runner/cluster/KubeClusterReader.ts';
import { runFanout } from '../../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../../runner/fanout/KubeJobScheduler.ts';
import { KubeEventSink } from '../../../runner/selinux/KubeEventSink.ts';
import { runClusterAudit } from '../../../runner/selinux/run-audit.ts';
import { KubeApiFake, type KubeObject } from '../../support/kube-api-fake.ts';
import { node, nodeJob, runnerConfig } from '../runner/fanout/helpers.ts';
import { kustomizeBuild, type Resource } from './kustomize.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
}

/** The (verb, group, resource, namespace) a request needs, read from its path. */
function accessOf(method: string, path: string): Access {
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
function grantsFor(resources: Resource[], account: string) {
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

describe('fan-out RBAC against the requests of a real tick', () => {
  let api: KubeApiFake;
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  beforeEach(async () => {
    api = await KubeApiFake.start({ now: () => clock.now() });
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'imagewarden' } });
  });
  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    // every request of the tick was one the fake understands
    expect(unhandled).toEqual([]);
  });

  it('allows every request the fan-out makes, and grants nothing it does not use', async () => {
    // Prepare: a tick that lists, creates and deletes
    for (const name of ['w1', 'w2']) api.put(node(name) as KubeObject);
    api.put(
      nodeJob('old', 'w1', {
        created: '2026-02-01T00:00:00Z',
        finished: { at: '2026-02-01T00:05:00Z', as: 'Complete' },
      }) as KubeObject,
    );
    // two tenants sharing one MCS level: the tick's SELinux audit records Events on them
    for (const name of ['shop', 'bank']) {
      api.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'imagewarden.io/selinux-context': '593-693' } },
      });
    }
    const grants = grantsFor(kustomizeBuild(join('infra', 'base')), 'imagewarden-fanout');
    // Act: the tick as `runner fanout` runs it — Jobs, then the cluster-wide SELinux audit
    await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      runner: runnerConfig(),
      clock,
      logger: silentLogger(),
    });
    const cluster = new KubeClusterReader({ kubeConfig: api.kubeConfig(), logger: silentLogger() });
    const audit = await runClusterAudit(
      { cluster, sinks: [new KubeEventSink(cluster)], clock, logger: silentLogger() },
      { labelKey: 'imagewarden.io/selinux-context', systemNamespaces: ['kube-*', 'imagewarden'] },
    );
    // Assess
    expect(audit.result.collisions).toBeGreaterThan(0);
    expect(audit.undelivered).toBe(false);
    const accesses = api.requests.map((r) => accessOf(r.method, r.path));
    expect(new Set(accesses.map((a) => a.verb))).toEqual(new Set(['list', 'create', 'delete']));
    expect(accesses.some((a) => a.resource === 'events' && a.verb === 'create')).toBe(true);
    const used = new Set<string>();
    for (const access of accesses) {
      const grant = grants.find(
        ({ rule, namespace }) =>
          (namespace === undefined || namespace === access.namespace) &&
          rule.apiGroups.includes(access.group) &&
          rule.resources.includes(access.resource) &&
          rule.verbs.includes(access.verb),
      );
      expect(grant, `${access.verb} ${access.group}/${access.resource} in ${access.namespace}`).toBeDefined();
      used.add(`${access.verb} ${access.group}/${access.resource}`);
    }
    const granted = grants.flatMap(({ rule }) =>
      rule.apiGroups.flatMap((g) =>
        rule.resources.flatMap((res) => rule.verbs.map((v) => `${v} ${g}/${res}`)),
      ),
    );
    expect(new Set(granted)).toEqual(used);
  });
});
