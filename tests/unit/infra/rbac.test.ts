// The fan-out's RBAC is enough and no more: every request a real tick makes (against the
// Kubernetes API fake, through the production adapter) is allowed by the roles bound to
// the fan-out ServiceAccount in infra/base, and nothing in those roles goes unused. A tick is
// the Jobs step (its own Pod read for the node Jobs' image, each node's desired set computed
// and handed over, pull secrets read once) and the once-per-tick SELinux audit, as
// `runner fanout` runs them.
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
import { fanoutPod, node, nodeJob, runnerConfig } from '../runner/fanout/helpers.ts';
import { kustomizeBuild } from './kustomize.ts';
import { accessOf, grantsFor } from './rbac-grants.ts';

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
    // a workload whose pull secret and service account the tick reads to hand them over
    api.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        template: {
          spec: {
            imagePullSecrets: [{ name: 'regcred' }],
            containers: [{ name: 'w', image: 'r.corp/web:1' }],
          },
        },
      },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'shop' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    });
    // the fan-out's own pod, whose image the node Jobs run (no runner.fanout.image set)
    const self = { namespace: 'imagewarden', name: 'imagewarden-fanout-29000000-abcde' };
    api.put(fanoutPod(self.name, { image: 'ghcr.io/imagewarden/runner:0.1.0' }) as KubeObject);
    const grants = grantsFor(kustomizeBuild(join('infra', 'base')), 'imagewarden-fanout');
    const cluster = new KubeClusterReader({ kubeConfig: api.kubeConfig(), logger: silentLogger() });
    // Act: the tick as `runner fanout` runs it — Jobs, then the cluster-wide SELinux audit
    const tick = await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster,
      runner: runnerConfig({ fanout: { image: undefined } }),
      clock,
      logger: silentLogger(),
      self,
    });
    const audit = await runClusterAudit(
      { cluster, sinks: [new KubeEventSink(cluster)], clock, logger: silentLogger() },
      { labelKey: 'imagewarden.io/selinux-context', systemNamespaces: ['kube-*', 'imagewarden'] },
    );
    // Assess
    expect(tick.jobs).toMatchObject({ created: 2, failed: 0 });
    expect(tick.runnerImage?.source).toBe('pod-spec');
    expect(tick.desired).toMatchObject({ withCredentials: 2, secretsRead: 1 });
    expect(audit.result.collisions).toBeGreaterThan(0);
    expect(audit.undelivered).toBe(false);
    const accesses = api.requests.map((r) => accessOf(r.method, r.path));
    expect(new Set(accesses.map((a) => a.verb))).toEqual(new Set(['list', 'get', 'create', 'delete']));
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
