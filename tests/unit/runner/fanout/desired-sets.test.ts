// The tick's desired sets with the SELinux checks on: the fan-out lists the namespaces once
// beside the workloads and hands each node the pods bound to it (levels only) and their
// namespaces (the two level keys only); a list that failed is handed on as the reason.
import { describe, expect, it } from 'vitest';
import { Config } from '../../../../core/config/schema.ts';
import { AuthError } from '../../../../core/errors.ts';
import { silentLogger } from '../../../../core/logger.ts';
import type { ClusterReader } from '../../../../runner/cluster/ClusterReader.ts';
import type {
  KubeNamespace,
  KubeNode,
  Listed,
  Workload,
  WorkloadKind,
} from '../../../../runner/cluster/types.ts';
import { toWorkloads } from '../../../../runner/cluster/workloads.ts';
import { prepareDesiredSets } from '../../../../runner/fanout/desired-sets.ts';

const KEY = 'example.com/selinux-context';
const listed = <T>(items: T[]): Listed<T> => ({ items, invalid: [] });
const kubeNode = (name: string): KubeNode => ({ metadata: { name }, spec: {} });

function pod(
  name: string,
  namespace: string,
  nodeName: string | undefined,
  extra: Record<string, unknown> = {},
) {
  return {
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        { name: 'app', image: 'r.corp/app:1', env: [{ name: 'A', value: 'b' }] },
        { name: 'side', image: 'r.corp/side:1', securityContext: { seLinuxOptions: { level: 's0:c3,c4' } } },
      ],
    },
    ...extra,
  };
}

/** A cluster port with the lists the fan-out reads; counts the namespace lists. */
function cluster(options: {
  pods: unknown[];
  namespaces?: KubeNamespace[];
  namespacesFail?: boolean;
  podsFail?: boolean;
}) {
  const calls = { namespaces: 0 };
  const port: ClusterReader = {
    getNode: async () => undefined,
    listNodes: async () => listed([]),
    listNamespaces: async () => {
      calls.namespaces++;
      if (options.namespacesFail)
        throw new AuthError('kubernetes', 'namespaces is forbidden', { status: 403 });
      return listed(options.namespaces ?? []);
    },
    listPods: async () => {
      throw new Error('the fan-out reads pods through its workload list');
    },
    listWorkloads: async (kind: WorkloadKind): Promise<Listed<Workload>> => {
      if (kind !== 'Pod') return listed([]);
      if (options.podsFail) throw new AuthError('kubernetes', 'pods is forbidden', { status: 403 });
      return toWorkloads('Pod', options.pods);
    },
    getSecret: async () => undefined,
    getServiceAccount: async () => undefined,
    createEvent: async () => undefined,
  };
  return { port, calls };
}

const runner = (selinux: Record<string, unknown> = {}) =>
  Config.parse({ runner: { readPullSecrets: false, selinux: { labelKey: KEY, ...selinux } } }).runner;

describe('prepareDesiredSets with the SELinux checks on', () => {
  it("hands each node its running pods' levels and their namespaces' two level keys, listing namespaces once", async () => {
    // Prepare
    const { port, calls } = cluster({
      pods: [
        pod('web', 'shop', 'n1', {
          spec: {
            nodeName: 'n1',
            securityContext: { seLinuxOptions: { level: 's0:c1,c2' } },
            containers: [],
          },
        }),
        pod('api', 'shop', 'n1'),
        pod('done', 'shop', 'n1', { status: { phase: 'Succeeded' } }),
        pod('pending', 'shop', undefined),
        pod('db', 'bank', 'n2'),
        // a static pod's mirror: its uid is not the one its containers carry
        pod('etcd-n2', 'bank', 'n2', {
          metadata: {
            name: 'etcd-n2',
            namespace: 'bank',
            uid: 'mirror-uid',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n2', uid: 'node-uid' }],
          },
        }),
      ],
      namespaces: [
        {
          metadata: {
            name: 'shop',
            labels: { [KEY]: '1-2', team: 'a' },
            annotations: { 'openshift.io/sa.scc.uid-range': '1/1' },
          },
        },
        { metadata: { name: 'bank', annotations: { 'openshift.io/sa.scc.mcs': 's0:c9,c8', note: 'x' } } },
      ],
    });
    // Act
    const tick = await prepareDesiredSets(port, runner(), '202603011200', silentLogger());
    const n1 = (await tick.handoverFor(kubeNode('n1'))).set.selinux;
    const n2 = (await tick.handoverFor(kubeNode('n2'))).set.selinux;
    const n3 = (await tick.handoverFor(kubeNode('n3'))).set.selinux;
    // Assess
    expect(calls.namespaces).toBe(1);
    expect(n1).toEqual({
      labelKey: KEY,
      namespaces: [{ name: 'shop', labels: { [KEY]: '1-2' }, annotations: {} }],
      pods: [
        {
          metadata: { name: 'web', namespace: 'shop', uid: 'uid-web' },
          spec: { securityContext: { seLinuxOptions: { level: 's0:c1,c2' } }, containers: [] },
        },
        {
          metadata: { name: 'api', namespace: 'shop', uid: 'uid-api' },
          spec: {
            containers: [{ name: 'side', securityContext: { seLinuxOptions: { level: 's0:c3,c4' } } }],
          },
        },
      ],
    });
    expect(n2?.namespaces).toEqual([
      { name: 'bank', labels: {}, annotations: { 'openshift.io/sa.scc.mcs': 's0:c9,c8' } },
    ]);
    expect(n2?.pods.map((p) => p.metadata)).toEqual([
      { name: 'db', namespace: 'bank', uid: 'uid-db' },
      { name: 'etcd-n2', namespace: 'bank' },
    ]);
    expect(n3).toEqual({ labelKey: KEY, namespaces: [], pods: [] });
    expect(tick.summary.selinux).toEqual({ namespaces: 2, boundPods: 4 });
  });

  it('hands on why the namespaces or pods could not be listed, instead of a partial picture', async () => {
    // Act
    const noNamespaces = await prepareDesiredSets(
      cluster({ pods: [pod('api', 'shop', 'n1')], namespacesFail: true }).port,
      runner(),
      'r',
      silentLogger(),
    );
    const noPods = await prepareDesiredSets(
      cluster({ pods: [], podsFail: true }).port,
      runner(),
      'r',
      silentLogger(),
    );
    // Assess
    expect((await noNamespaces.handoverFor(kubeNode('n1'))).set.selinux).toEqual({
      labelKey: KEY,
      unavailable: expect.stringMatching(/^namespaces: .*forbidden/),
      namespaces: [],
      pods: [],
    });
    expect((await noPods.handoverFor(kubeNode('n1'))).set.selinux?.unavailable).toMatch(/^pods: .*forbidden/);
  });

  it('lists no namespaces and hands no section with the checks off', async () => {
    const { port, calls } = cluster({ pods: [pod('api', 'shop', 'n1')] });
    const tick = await prepareDesiredSets(port, runner({ enabled: false }), 'r', silentLogger());
    expect((await tick.handoverFor(kubeNode('n1'))).set.selinux).toBeUndefined();
    expect(calls.namespaces).toBe(0);
    expect(tick.summary.selinux).toBeUndefined();
  });
});
