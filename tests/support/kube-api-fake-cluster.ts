// A simulated cluster for the Kubernetes API fake: nodes on a mix of runtimes (containerd,
// CRI-O, Docker), a GPU pool behind a NoSchedule taint, and workloads spread over namespaces
// the way a busy cluster holds them: Deployments with their ReplicaSets (current and old) and
// Pods, StatefulSets, DaemonSets, CronJobs with their Jobs, each namespace with a pull secret
// on its default ServiceAccount and on some workloads. Objects carry the labels, resources,
// env and probes real ones do, so list responses have a realistic size. Deterministic.
import type { KubeApiFake, KubeObject } from './kube-api-fake.ts';

export interface SimulatedClusterOptions {
  nodes: number;
  /** Total objects of the workload kinds the runner reads (Pods included). */
  workloads: number;
  /** Workloads per namespace (default 25). */
  perNamespace?: number;
}

export interface SimulatedCluster {
  nodes: string[];
  namespaces: string[];
  /** Objects put, by kind. */
  counts: Record<string, number>;
}

const RUNTIMES = ['containerd://1.7.13', 'containerd://1.7.13', 'cri-o://1.30.1', 'docker://24.0.7'];

function podSpec(app: string, image: string, extra: Record<string, unknown> = {}) {
  return {
    containers: [
      {
        name: app,
        image,
        ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
        env: [
          { name: 'APP_NAME', value: app },
          { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
        volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
      },
    ],
    volumes: [{ name: 'config', configMap: { name: `${app}-config` } }],
    serviceAccountName: 'default',
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    ...extra,
  };
}

function meta(ns: string, name: string, app: string, owner?: { kind: string; name: string; uid: string }) {
  return {
    name,
    namespace: ns,
    uid: `uid-${ns}-${name}`,
    labels: { app, 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': ns, team: `team-${ns}` },
    annotations: { 'deployment.kubernetes.io/revision': '3', 'imagewarden.io/owner': `${ns}@example.org` },
    ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...owner, controller: true }] } : {}),
  };
}

/** Puts the simulated cluster into the fake; returns what it put. */
export function populateCluster(api: KubeApiFake, options: SimulatedClusterOptions): SimulatedCluster {
  const counts: Record<string, number> = {};
  const put = (object: KubeObject) => {
    api.put(object);
    counts[object.kind ?? '?'] = (counts[object.kind ?? '?'] ?? 0) + 1;
  };
  const nodes: string[] = [];
  for (let i = 0; i < options.nodes; i++) {
    const name = `node-${String(i).padStart(4, '0')}`;
    const gpu = i % 10 === 9;
    nodes.push(name);
    put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'topology.kubernetes.io/zone': `zone-${i % 3}`,
          pool: gpu ? 'gpu' : 'general',
        },
      },
      spec: gpu ? { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] } : {},
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { containerRuntimeVersion: RUNTIMES[i % RUNTIMES.length], kubeletVersion: 'v1.30.2' },
      },
    });
  }
  // kinds in the proportions of a busy cluster: per 20 objects, 6 Deployments, 6 ReplicaSets,
  // 4 Pods, 1 StatefulSet, 1 CronJob, 1 Job, and a DaemonSet every other block
  const perNamespace = options.perNamespace ?? 25;
  const namespaces: string[] = [];
  let made = 0;
  for (let n = 0; made < options.workloads; n++) {
    const ns = `team-${String(n).padStart(3, '0')}`;
    namespaces.push(ns);
    put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: ns } } });
    const auth = Buffer.from(`${ns}:secret-${n}`).toString('base64');
    put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: ns },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'registry.corp': { auth } } })).toString(
          'base64',
        ),
      },
    });
    put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: ns },
      imagePullSecrets: [{ name: 'regcred' }],
    });
    for (let k = 0; k < perNamespace && made < options.workloads; k++, made++) {
      const slot = made % 20;
      const app = `svc-${k}`;
      const image = `registry.corp/${ns}/${app}:1.${k % 7}`;
      const gpu = k % 20 === 7;
      const placement = gpu
        ? {
            nodeSelector: { pool: 'gpu' },
            tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
          }
        : {};
      const spec = podSpec(app, image, {
        ...placement,
        imagePullSecrets: k % 3 === 0 ? [{ name: 'regcred' }] : [],
      });
      const template = { metadata: { labels: { app } }, spec };
      if (slot < 6) {
        put({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta(ns, app, app),
          spec: { replicas: k % 11 === 5 ? 0 : 2, selector: { matchLabels: { app } }, template },
        });
      } else if (slot < 12) {
        // the Deployment's current and old ReplicaSets: history, not demand
        put({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: meta(ns, `${app}-${7000 + k}`, app, {
            kind: 'Deployment',
            name: app,
            uid: `uid-${ns}-${app}`,
          }),
          spec: { replicas: k % 2, selector: { matchLabels: { app } }, template },
        });
      } else if (slot < 16) {
        put({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: meta(ns, `${app}-${7000 + k}-x${k}`, app, {
            kind: 'ReplicaSet',
            name: `${app}-${7000 + k}`,
            uid: `uid-${ns}-${app}-${7000 + k}`,
          }),
          spec: { ...spec, nodeName: nodes[made % nodes.length] },
          status: { phase: 'Running', podIP: '10.0.0.1', hostIP: '192.168.0.1' },
        });
      } else if (slot === 16) {
        put({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: meta(ns, app, app),
          spec: { replicas: 1, serviceName: app, selector: { matchLabels: { app } }, template },
        });
      } else if (slot === 17) {
        put({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: meta(ns, app, app),
          spec: {
            schedule: '0 2 * * *',
            suspend: k % 4 === 0,
            jobTemplate: { spec: { template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } } },
          },
        });
      } else if (slot === 18) {
        put({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: meta(ns, `${app}-29000000`, app, { kind: 'CronJob', name: app, uid: `uid-${ns}-${app}` }),
          spec: { template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } },
          status: { active: 1 },
        });
      } else {
        put({
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: meta(ns, app, app),
          spec: {
            selector: { matchLabels: { app } },
            template: { ...template, spec: { ...spec, tolerations: [{ operator: 'Exists' }] } },
          },
        });
      }
    }
  }
  return { nodes, namespaces, counts };
}
