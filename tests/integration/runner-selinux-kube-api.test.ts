// SELinux checks against the Kubernetes API fake: the cluster audit through the CLI
// (`imagewarden runner selinux-audit`, Events recorded on the namespaces), and the node step
// with real xattrs on a private tmpfs standing in for the kubelet's pods directory (the
// container runtime is a fake: this dockerd runs without --selinux-enabled).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../core/clock.ts';
import { Config } from '../../core/config/schema.ts';
import { silentLogger } from '../../core/logger.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import { loadOpenFindings } from '../../functions/notify/loadFindings.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import type { ContainerDetails, ContainerSummary } from '../../runner/runtime/ImageRuntime.ts';
import { AttrLabelStore } from '../../runner/selinux/AttrLabelStore.ts';
import { selinuxSection } from '../../runner/selinux/selinux-section.ts';
import { runImagewarden } from '../support/cli.ts';
import { KubeApiFake } from '../support/kube-api-fake.ts';
import { requireBinary } from '../support/require.ts';

const KEY = 'example.com/selinux-context';
const TENANT = 'system_u:object_r:container_file_t:s0:c593,c693';

let api: KubeApiFake;
let dir: string;
let kubeconfig: string;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
function setLabel(path: string, label: string): void {
  sh('setfattr', [
    '-h',
    '-n',
    'security.selinux',
    '-v',
    `0x${Buffer.from(`${label}\0`).toString('hex')}`,
    path,
  ]);
}
function getLabel(path: string): string {
  return spawnSync('getfattr', ['-h', '--only-values', '-n', 'security.selinux', path]).stdout.toString(
    'latin1',
  );
}
function namespace(
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): void {
  api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } });
}

beforeAll(async () => {
  requireBinary('setfattr', 'attr');
  api = await KubeApiFake.start();
  dir = mkdtempSync(join(tmpdir(), 'iw-selinux-kube-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir]);
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfigYaml());
  namespace('kube-system');
  namespace('shop', { [KEY]: '593-693' });
  namespace('bank', {}, { 'openshift.io/sa.scc.mcs': 's0:c693,c593' });
  namespace(
    'ocp-a',
    {},
    { 'openshift.io/sa.scc.uid-range': '1000660000/10000', 'openshift.io/sa.scc.mcs': 's0:c26,c5' },
  );
  namespace(
    'ocp-b',
    {},
    { 'openshift.io/sa.scc.uid-range': '1000010000/10000', 'openshift.io/sa.scc.mcs': 's0:c9,c7' },
  );
  namespace('tenant-x');
  namespace('broken', { [KEY]: '593-' });
});

afterAll(async () => {
  const unhandled = api?.unhandled ?? [];
  try {
    await api?.stop();
  } finally {
    if (dir) {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // no request of the audit hit a route the fake lacks
  expect(unhandled).toEqual([]);
});

describe('imagewarden runner selinux-audit against the Kubernetes API fake', () => {
  it('reports collisions, missing levels, uid-range mismatches and malformed values, with Events on each namespace', async () => {
    // Prepare
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      stringify({ log: { level: 'warn' }, runner: { kubeconfig, selinux: { labelKey: KEY } } }),
    );
    // Act
    const run = await runImagewarden(['runner', 'selinux-audit', '-c', configFile]);
    // Assess
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('level-collision')).map((l) => l.split(/\s+/)[2])).toEqual([
      'bank',
      'shop',
    ]);
    expect(run.stdout).toMatch(/uid-range-mismatch\s+ocp-b .*implies s0:c3,c2/);
    expect(run.stdout).toMatch(/missing-level\s+tenant-x/);
    expect(run.stdout).toMatch(/malformed-level\s+broken/);
    expect(run.stdout).not.toMatch(/kube-system|ocp-a/);
    expect(api.list('Event', 'shop').map((e) => e.reason)).toEqual(['SelinuxLevelCollision']);
    expect(api.list('Event', 'ocp-b').map((e) => e.reason)).toEqual(['SelinuxUidRangeMismatch']);
    expect(api.list('Event', 'tenant-x')[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Namespace', name: 'tenant-x' },
    });
  });

  it('prints JSON and records nothing in a dry run', async () => {
    const configFile = join(dir, 'config2.yaml');
    writeFileSync(
      configFile,
      stringify({ log: { level: 'warn' }, runner: { kubeconfig, selinux: { labelKey: KEY } } }),
    );
    const before = api.list('Event', 'bank').length;
    const run = await runImagewarden(['runner', 'selinux-audit', '-c', configFile, '--json', '--dry-run']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      namespaces: api.list('Namespace').length,
      collisions: 1,
      tenantsWithoutLevel: 1,
      uidRangeMismatches: 1,
    });
    expect(api.list('Event', 'bank').length).toBe(before);
  });
});

describe('imagewarden runner selinux-audit --store-findings', () => {
  it('stores the findings where the notify step reads them, addressed to the security contact', async () => {
    // Prepare
    const stateDir = join(dir, 'state');
    const configFile = join(dir, 'config3.yaml');
    writeFileSync(
      configFile,
      stringify({
        log: { level: 'warn' },
        state: { backend: 'file', dir: stateDir },
        owners: { securityContact: 'sec@example.org' },
        runner: { kubeconfig, selinux: { labelKey: KEY, events: false } },
      }),
    );
    // Act
    const run = await runImagewarden(['runner', 'selinux-audit', '-c', configFile, '--store-findings']);
    const { findings, invalid } = await loadOpenFindings(new FileStateStore(stateDir));
    // Assess
    expect(run.code).toBe(1);
    expect(invalid).toBe(0);
    expect(findings.map((f) => f.key)).toContain('selinux|tenant-x|missing-level');
    expect(findings.every((f) => f.kind === 'selinux' && f.recipient.address === 'sec@example.org')).toBe(
      true,
    );
  });
});

describe('node SELinux step with real xattrs and pods from the Kubernetes API fake', () => {
  it('finds container and volume drift, relabels only drifted files, never through a planted symlink', async () => {
    // Prepare: a pod of `shop` on node n1 with one emptyDir volume, and a host directory outside
    const podsRoot = join(dir, 'pods');
    const volume = join(podsRoot, 'uid-web/volumes/kubernetes.io~empty-dir/data');
    const host = join(dir, 'host-etc');
    mkdirSync(join(volume, 'sub'), { recursive: true });
    mkdirSync(host);
    setLabel(host, 'system_u:object_r:etc_t:s0:c1,c2');
    for (const d of [volume, join(volume, 'sub')]) setLabel(d, TENANT);
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(volume, 'sub', `f${i}`), 'x');
      setLabel(join(volume, 'sub', `f${i}`), i < 3 ? 'system_u:object_r:container_file_t:s0:c1,c2' : TENANT);
    }
    symlinkSync(host, join(volume, 'sub', 'escape'));
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'shop', uid: 'uid-web' },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x' }] },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'vault', namespace: 'bank', uid: 'uid-vault' },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x' }] },
    });
    const podLabels = (ns: string, pod: string) => ({
      'io.kubernetes.pod.namespace': ns,
      'io.kubernetes.pod.name': pod,
      'io.kubernetes.pod.uid': `uid-${pod}`,
      'io.kubernetes.container.name': 'app',
    });
    const containers: ContainerDetails[] = [
      {
        id: 'c-web',
        names: ['/k8s_app_web'],
        image: 'x',
        imageId: 'sha256:x',
        state: 'running',
        labels: podLabels('shop', 'web'),
        pid: 10,
        processLabel: 'system_u:system_r:container_t:s0:c593,c693',
        mountLabel: TENANT,
        securityOpt: [],
        mounts: [{ type: 'bind', source: volume, destination: '/data' }],
      },
      {
        id: 'c-vault',
        names: ['/k8s_app_vault'],
        image: 'x',
        imageId: 'sha256:x',
        state: 'running',
        labels: podLabels('bank', 'vault'),
        pid: 11,
        processLabel: 'system_u:system_r:container_t:s0:c1,c2',
        mountLabel: 'system_u:object_r:container_file_t:s0:c1,c2',
        securityOpt: [],
        mounts: [],
      },
    ];
    const runtime = {
      listContainers: async (): Promise<ContainerSummary[]> => containers,
      inspectContainer: async (id: string) => containers.find((c) => c.id === id),
    };
    const cluster = new KubeClusterReader({ kubeConfig: api.kubeConfig() });
    const config = Config.parse({ runner: { selinux: { labelKey: KEY, podsRoot, relabel: true } } }).runner
      .selinux;
    // Act
    const section = await selinuxSection(
      {
        cluster,
        runtime,
        logger: silentLogger(),
        clock: new ManualClock(),
        labels: new AttrLabelStore(),
        mounts: { mounts: async () => [] },
      },
      { node: 'n1', config, dryRun: false },
    );
    // Assess
    expect(section.ok).toBe(false);
    expect(section.summary).toMatchObject({
      containers: 2,
      containersDrifted: 1,
      volumes: 1,
      volumesDrifted: 1,
      files: 12,
      filesDrifted: 3,
      relabelled: 3,
    });
    for (let i = 0; i < 3; i++) expect(getLabel(join(volume, 'sub', `f${i}`))).toBe(`${TENANT}\0`);
    expect(getLabel(host)).toBe('system_u:object_r:etc_t:s0:c1,c2\0');
    expect(api.list('Event', 'shop').map((e) => e.reason)).toContain('SelinuxVolumeDrift');
    expect(api.list('Event', 'bank').map((e) => e.reason)).toContain('SelinuxContainerDrift');
  });
});
