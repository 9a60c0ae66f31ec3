// The node runner's RBAC covers its pull-credential reads: the Secrets its workloads name and
// the ServiceAccounts their pods run as (whose imagePullSecrets apply too), read through the
// production adapter against the Kubernetes API fake and checked against the ClusterRole
// bound to imagewarden-node in infra/base.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.ts';
import { KubeClusterReader } from '../../../runner/cluster/KubeClusterReader.ts';
import { loadPullCredentials } from '../../../runner/pull-credentials.ts';
import { KubeApiFake } from '../../support/kube-api-fake.ts';
import { desired } from '../runner/fakes.ts';
import { kustomizeBuild, type Resource } from './kustomize.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** `get <resource>` for a core-API read of one named object, else undefined. */
function coreGetOf(method: string, path: string): string | undefined {
  const match = /^\/api\/v1\/namespaces\/[^/]+\/([^/]+)\/[^/]+$/.exec(path);
  return method === 'GET' && match ? `get /${match[1]}` : undefined;
}

/** The `verb group/resource` pairs the ClusterRoles bound to the node ServiceAccount grant. */
function nodeGrants(resources: Resource[]): Set<string> {
  const granted = new Set<string>();
  for (const binding of resources.filter((r) => r.kind === 'ClusterRoleBinding')) {
    const { roleRef, subjects } = binding as unknown as {
      roleRef: { name: string };
      subjects: { kind: string; name: string }[];
    };
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === 'imagewarden-node')) continue;
    const role = resources.find((r) => r.kind === 'ClusterRole' && r.metadata.name === roleRef.name);
    for (const rule of (role as unknown as { rules: Rule[] } | undefined)?.rules ?? [])
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs) granted.add(`${verb} ${group}/${resource}`);
  }
  return granted;
}

describe('node runner RBAC against its pull-credential reads', () => {
  let api: KubeApiFake;
  beforeEach(async () => {
    api = await KubeApiFake.start();
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });
  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    // every request of the pass was one the fake understands
    expect(unhandled).toEqual([]);
  });

  it('grants get on the Secrets and ServiceAccounts a pass reads', async () => {
    // Prepare: one image with a workload pull secret, one whose service account names one
    const auth = Buffer.from('alice:pw').toString('base64');
    const config = Buffer.from(JSON.stringify({ auths: { 'a.corp': { auth } } })).toString('base64');
    for (const name of ['regcred', 'sa-cred']) {
      api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'shop' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': config },
      });
    }
    api.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'sa-cred' }],
    });
    const images = [
      desired('a.corp/app:1', { pullSecrets: [{ namespace: 'shop', name: 'regcred' }] }),
      desired('a.corp/job:1', { serviceAccounts: [{ namespace: 'shop', name: 'builder' }] }),
    ];
    const granted = nodeGrants(kustomizeBuild(join('infra', 'base')));
    // Act
    const credentials = await loadPullCredentials(
      new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
      images,
      {},
      silentLogger(),
    );
    // Assess
    expect(credentials.problems).toEqual([]);
    const reads = api.requests.map((r) => coreGetOf(r.method, r.path));
    expect(new Set(reads)).toEqual(new Set(['get /secrets', 'get /serviceaccounts']));
    for (const read of reads) expect(granted, String(read)).toContain(read);
  });
});
