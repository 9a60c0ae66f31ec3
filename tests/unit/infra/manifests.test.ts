// The manifests in infra/: they parse, each overlay builds to the expected objects, RBAC has
// no wildcards, every container has requests and limits, nothing is privileged unless
// relabelling is on, and the ConfigMap agrees with the code's defaults and the manifests.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { V1Container, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Config } from '../../../core/config/schema.ts';
import { buildNodeJob, CONFIG_DIR } from '../../../runner/fanout/job-spec.ts';
import { kubeSchemaProblems } from './kube-schema.ts';
import { kustomizeBuild, type Resource, readYamlDocuments } from './kustomize.ts';

const INFRA = 'infra';
const OVERLAYS = ['docker', 'openshift', 'relabel', 'read-pull-secrets', 'eks', 'eks-irsa'] as const;
const builds = Object.fromEntries(
  OVERLAYS.map((o) => [o, kustomizeBuild(join(INFRA, 'overlays', o))]),
) as Record<(typeof OVERLAYS)[number], Resource[]>;
const base = kustomizeBuild(join(INFRA, 'base'));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

const find = (resources: Resource[], kind: string, name?: string): Resource[] =>
  resources.filter((r) => r.kind === kind && (name === undefined || r.metadata.name === name));

function one(resources: Resource[], kind: string, name: string): Resource {
  const [found, ...rest] = find(resources, kind, name);
  if (!found || rest.length > 0) throw new Error(`expected exactly one ${kind}/${name}`);
  return found;
}

/** The runner config of a build, parsed by the same schema the CLI uses. */
function runnerConfigOf(resources: Resource[]): Config {
  const configMap = one(resources, 'ConfigMap', 'imagewarden-runner') as Resource & {
    data: Record<string, string>;
  };
  return Config.parse(parse(configMap.data['runner.yaml'] ?? ''));
}

interface CronJobShape {
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    startingDeadlineSeconds?: number;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: { spec: { template: { spec: Record<string, unknown> & { containers: V1Container[] } } } };
  };
}
const cronPod = (resources: Resource[]) =>
  (one(resources, 'CronJob', 'imagewarden-fanout') as unknown as CronJobShape).spec.jobTemplate.spec.template
    .spec;
/** A node Job as the fan-out of that build makes it: with the fan-out container's image. */
const nodeJobOf = (resources: Resource[]): V1Job =>
  buildNodeJob({
    runner: runnerConfigOf(resources).runner,
    node: 'worker-1',
    runId: '202601010000',
    image: cronPod(resources).containers[0]?.image,
  });

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
const rulesOf = (r: Resource) => (r as unknown as { rules: Rule[] }).rules;

describe('infra manifests', () => {
  it('every YAML file in infra/ parses', () => {
    // Prepare
    const files = yamlFiles(INFRA);
    // Act
    const documents = files.map((f) => readYamlDocuments(f));
    // Assess
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const [i, docs] of documents.entries()) expect(docs.length, files[i]).toBeGreaterThan(0);
  });

  it.each(OVERLAYS)(
    'the %s overlay builds to the expected kinds, all in the imagewarden namespace',
    (overlay) => {
      // Act
      const resources = builds[overlay];
      // Assess
      const kinds = resources.map((r) => r.kind).sort();
      expect(kinds).toEqual(
        expect.arrayContaining([
          'ClusterRole',
          'ClusterRole',
          'ClusterRoleBinding',
          'ClusterRoleBinding',
          'ConfigMap',
          'CronJob',
          'Namespace',
          'Role',
          'RoleBinding',
          'ServiceAccount',
          'ServiceAccount',
        ]),
      );
      for (const r of resources) {
        if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(r.kind))
          expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe('imagewarden');
        expect(r.metadata.labels?.['app.kubernetes.io/name'], `${r.kind}/${r.metadata.name}`).toBe(
          'imagewarden',
        );
      }
    },
  );

  it.each(OVERLAYS)(
    '%s: every object, and the node Job built from its config, fits the Kubernetes API models',
    (overlay) => {
      // Act
      const objects = [...builds[overlay], nodeJobOf(builds[overlay]) as Resource];
      // Assess
      expect(objects.flatMap((o) => kubeSchemaProblems(o))).toEqual([]);
    },
  );

  it('the API model check catches a misplaced field', () => {
    // Prepare: readOnly belongs to the volumeMount, not the volume
    const job = nodeJobOf(base);
    const volumes = job.spec?.template.spec?.volumes ?? [];
    (volumes[0] as unknown as Record<string, unknown>).readOnly = true;
    // Act
    const problems = kubeSchemaProblems(job as Resource);
    // Assess
    expect(problems).toEqual([
      'Job/imagewarden-node-worker-1-202601010000.spec.template.spec.volumes[0].readOnly: no such field in V1Volume',
    ]);
  });

  it('RBAC names every verb, resource and API group: no wildcards anywhere', () => {
    const checked: Record<string, number> = {};
    for (const [overlay, resources] of Object.entries(builds)) {
      for (const role of [...find(resources, 'ClusterRole'), ...find(resources, 'Role')]) {
        for (const rule of rulesOf(role)) {
          checked[overlay] = (checked[overlay] ?? 0) + 1;
          const where = `${overlay} ${role.kind}/${role.metadata.name}`;
          expect(rule.verbs, where).not.toContain('*');
          expect(rule.resources ?? [], where).not.toContain('*');
          expect(rule.apiGroups ?? [], where).not.toContain('*');
          expect(rule.resources?.some((r) => r.includes('*')) ?? false, where).toBe(false);
        }
      }
    }
    // every overlay has rules to check (the loops above did not run over nothing)
    expect(Object.keys(checked).sort()).toEqual([...OVERLAYS].sort());
  });

  it('creates and deletes Jobs only through a namespaced Role; secrets are get-only', () => {
    // Act
    const clusterRules = find(base, 'ClusterRole').flatMap(rulesOf);
    const role = one(base, 'Role', 'imagewarden-fanout');
    // Assess
    const jobWrites = clusterRules.filter(
      (r) =>
        r.resources?.includes('jobs') &&
        r.verbs.some((v) => ['create', 'delete', 'update', 'patch'].includes(v)),
    );
    expect(jobWrites).toEqual([]);
    expect(role.metadata.namespace).toBe('imagewarden');
    expect(rulesOf(role)).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list', 'delete'] },
      // the handed desired set and pull secrets of each node Job
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create'] },
      // its own Pod (the node Jobs' image): get, in this namespace only
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ]);
    expect(clusterRules.filter((r) => r.resources?.includes('pods') && r.verbs.includes('get'))).toEqual([]);
    for (const rule of clusterRules.filter((r) => r.resources?.includes('secrets')))
      expect(rule.verbs).toEqual(['get']);
  });

  it('gives node Jobs no Secret access and no list at all; only the opt-in overlay does', () => {
    // Act
    const nodeRules = (resources: Resource[]) => {
      const names = find(resources, 'ClusterRoleBinding')
        .filter((b) =>
          (b as unknown as { subjects: { name: string }[] }).subjects.some(
            (s) => s.name === 'imagewarden-node',
          ),
        )
        .map((b) => (b as unknown as { roleRef: { name: string } }).roleRef.name);
      return names.flatMap((name) => rulesOf(one(resources, 'ClusterRole', name)));
    };
    const grants = (rules: Rule[]) =>
      rules.flatMap((r) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${v} ${res}`))).sort();
    // Assess: the base node role is what a pass handed its set still does: Events (its SELinux
    // checks read the pods and namespace levels handed with the set)
    expect(grants(nodeRules(base))).toEqual(['create events']);
    for (const overlay of ['docker', 'openshift', 'relabel'] as const)
      expect(grants(nodeRules(builds[overlay])), overlay).toEqual(grants(nodeRules(base)));
    expect(grants(nodeRules(builds['read-pull-secrets']))).toEqual(
      [
        ...grants(nodeRules(base)),
        'get nodes',
        'get secrets',
        'get serviceaccounts',
        'list namespaces',
        'list pods',
        ...['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'].map(
          (r) => `list ${r}`,
        ),
      ].sort(),
    );
  });

  it('binds each ServiceAccount to its own roles', () => {
    // Act
    const subjectsOf = (kind: string, name: string) =>
      (one(base, kind, name) as unknown as { subjects: { kind: string; name: string; namespace: string }[] })
        .subjects;
    // Assess
    expect(subjectsOf('ClusterRoleBinding', 'imagewarden-fanout')).toEqual([
      { kind: 'ServiceAccount', name: 'imagewarden-fanout', namespace: 'imagewarden' },
    ]);
    expect(subjectsOf('RoleBinding', 'imagewarden-fanout')).toEqual([
      { kind: 'ServiceAccount', name: 'imagewarden-fanout', namespace: 'imagewarden' },
    ]);
    expect(subjectsOf('ClusterRoleBinding', 'imagewarden-node')).toEqual([
      { kind: 'ServiceAccount', name: 'imagewarden-node', namespace: 'imagewarden' },
    ]);
    expect(subjectsOf('ClusterRoleBinding', 'imagewarden-fanout-pull-secrets')).toEqual([
      { kind: 'ServiceAccount', name: 'imagewarden-fanout', namespace: 'imagewarden' },
    ]);
  });

  it('runs the CronJob every 15 minutes, never overlapping, with bounded history', () => {
    // Act
    const cron = (one(base, 'CronJob', 'imagewarden-fanout') as unknown as CronJobShape).spec;
    // Assess
    expect(cron).toMatchObject({
      schedule: '*/15 * * * *',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
  });

  it.each(OVERLAYS)('%s: every container, fan-out and node Job, has requests and limits', (overlay) => {
    // Act
    const containers = [
      ...cronPod(builds[overlay]).containers,
      ...(nodeJobOf(builds[overlay]).spec?.template.spec?.containers ?? []),
    ];
    // Assess
    expect(containers).toHaveLength(2);
    for (const c of containers) {
      expect(c.resources?.requests, c.name).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(c.resources?.limits, c.name).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
    }
  });

  it.each(OVERLAYS)('%s: privileged and a writable kubelet pod mount only when relabel is on', (overlay) => {
    // Prepare
    const config = runnerConfigOf(builds[overlay]);
    // Act
    const job = nodeJobOf(builds[overlay]);
    const fanoutContainer = cronPod(builds[overlay]).containers[0];
    // Assess
    const relabel = overlay === 'relabel';
    expect(config.runner.selinux.relabel).toBe(relabel);
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.securityContext?.privileged === true).toBe(relabel);
    const writableHostMounts = (container?.volumeMounts ?? [])
      .filter((m) => !m.readOnly && m.name !== 'tmp')
      .map((m) => m.mountPath)
      .sort();
    expect(writableHostMounts).toEqual(
      relabel ? ['/var/lib/imagewarden', '/var/lib/kubelet/pods'] : ['/var/lib/imagewarden'],
    );
    if (!relabel) {
      expect(container?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    }
    expect(fanoutContainer?.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(cronPod(builds[overlay]).volumes).toEqual([
      { name: 'config', configMap: { name: 'imagewarden-runner' } },
    ]);
  });

  it('points each overlay at its runtime socket, non-root where the socket group allows', () => {
    // Act
    const docker = nodeJobOf(builds.docker).spec?.template.spec;
    const openshift = nodeJobOf(builds.openshift).spec?.template.spec;
    // Assess
    expect(docker?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/var/run/docker.sock', type: 'Socket' },
    });
    expect(docker?.containers[0]?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(docker?.securityContext?.supplementalGroups).toEqual([999]);
    expect(docker?.containers[0]?.env).toContainEqual({
      name: 'IMAGEWARDEN_RUNNER__RUNTIME',
      value: 'docker',
    });
    // CRI-O through the CRI on its own socket; no image-store mount (the CRI reports its space)
    expect(openshift?.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/var/run/crio/crio.sock', type: 'Socket' },
    });
    expect(openshift?.containers[0]?.env).toContainEqual({
      name: 'IMAGEWARDEN_RUNNER__RUNTIME',
      value: 'cri',
    });
    expect(openshift?.volumes?.map((v) => v.name)).not.toContain('image-store');
    expect(docker?.volumes?.map((v) => v.name)).toContain('image-store');
    expect(openshift?.securityContext?.seLinuxOptions).toEqual({ type: 'spc_t' });
    // restricted-v2 picks the fan-out's UID on OpenShift
    expect(cronPod(builds.openshift).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(one(builds.openshift, 'RoleBinding', 'imagewarden-node-scc-privileged')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'system:openshift:scc:privileged' },
      subjects: [{ kind: 'ServiceAccount', name: 'imagewarden-node', namespace: 'imagewarden' }],
    });
  });

  it('eks: the base with the SELinux checks off, nothing else', () => {
    // Act
    const eks = builds.eks;
    const config = runnerConfigOf(eks);

    // Assess: AL2023 nodes label no containers and EKS gives namespaces no level
    expect(config.runner.selinux.enabled).toBe(false);
    expect(runnerConfigOf(base).runner.selinux.enabled).toBe(true);
    const withChecksOn: Config = {
      ...config,
      runner: { ...config.runner, selinux: { ...config.runner.selinux, enabled: true } },
    };
    expect(withChecksOn).toEqual(runnerConfigOf(base));
    const others = (rs: Resource[]) =>
      rs.filter((r) => !(r.kind === 'ConfigMap' && r.metadata.name === 'imagewarden-runner'));
    expect(others(eks)).toEqual(others(base));
  });

  it("eks-irsa: annotates only the node Jobs' ServiceAccount with the IAM role, the eks overlay otherwise", () => {
    // Act
    const accounts = find(builds['eks-irsa'], 'ServiceAccount');
    const annotated = accounts.filter((a) => a.metadata.annotations !== undefined);
    // Assess: the node passes ask ECR for tokens; the fan-out calls no AWS API
    expect(annotated.map((a) => a.metadata.name)).toEqual(['imagewarden-node']);
    expect(annotated[0]?.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': expect.stringMatching(/^arn:aws:iam::\d{12}:role\/.+/),
    });
    const strip = (rs: Resource[]) =>
      rs.map((r) => ({ ...r, metadata: { ...r.metadata, annotations: undefined } }));
    expect(strip(builds['eks-irsa'])).toEqual(strip(builds.eks));
  });

  it("sets the runner image once: an overlay's images entry changes the fan-out and so the node Jobs", () => {
    // Prepare: a site overlay as `kustomize edit set image` writes it
    const dir = mkdtempSync(join(tmpdir(), 'iw-overlay-'));
    try {
      const digest = `sha256:${'f'.repeat(64)}`;
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        stringify({
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: [relative(dir, join(INFRA, 'overlays', 'openshift'))],
          images: [
            { name: 'ghcr.io/imagewarden/runner', newName: 'registry.corp/imagewarden/runner', digest },
          ],
        }),
      );
      // Act
      const site = kustomizeBuild(dir);
      // Assess
      const image = `registry.corp/imagewarden/runner@${digest}`;
      expect(cronPod(site).containers.map((c) => c.image)).toEqual([image]);
      expect(nodeJobOf(site).spec?.template.spec?.containers[0]?.image).toBe(image);
      const mentions = JSON.stringify(site).match(/ghcr\.io\/imagewarden\/runner/g) ?? [];
      expect(mentions).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the base ConfigMap, the manifests and the code's defaults consistent", () => {
    // Prepare
    const defaults = Config.parse({}).runner;
    // Act
    const { runner } = runnerConfigOf(base);
    const pod = cronPod(base);
    const container = pod.containers[0];
    // Assess: the base config states the schema's defaults
    expect(runner).toEqual(defaults);
    // ...and names objects that exist in the build
    const { fanout } = runner;
    expect(one(base, 'Namespace', fanout.namespace)).toBeDefined();
    expect(one(base, 'ServiceAccount', fanout.serviceAccount)).toBeDefined();
    expect(one(base, 'ClusterRoleBinding', 'imagewarden-node')).toMatchObject({
      subjects: [{ name: fanout.serviceAccount }],
    });
    const configMap = one(base, 'ConfigMap', fanout.configMap) as Resource & { data: Record<string, string> };
    expect(Object.keys(configMap.data)).toEqual([fanout.configKey]);
    // ...and the image is set once, by the kustomization's images: the config names none, the
    // node Jobs follow the fan-out pod (named to it by the downward API)
    expect(fanout.image).toBeUndefined();
    expect(container?.image).toBe('ghcr.io/imagewarden/runner:0.1.0');
    expect(nodeJobOf(base).spec?.template.spec?.containers[0]?.image).toBe(container?.image);
    expect(container?.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    // ...with the same config
    expect(container?.args).toEqual(['runner', 'fanout', '--config', `${CONFIG_DIR}/${fanout.configKey}`]);
    expect(container?.volumeMounts).toEqual([{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }]);
    expect(pod.serviceAccountName).toBe('imagewarden-fanout');
    // each overlay keeps the names the manifests use
    for (const overlay of OVERLAYS) {
      const over = runnerConfigOf(builds[overlay]).runner.fanout;
      expect({
        ns: over.namespace,
        sa: over.serviceAccount,
        cm: over.configMap,
        key: over.configKey,
        image: over.image,
      }).toEqual({
        ns: fanout.namespace,
        sa: fanout.serviceAccount,
        cm: fanout.configMap,
        key: fanout.configKey,
        image: undefined,
      });
      expect(cronPod(builds[overlay]).containers[0]?.image).toBe(container?.image);
    }
  });
});
