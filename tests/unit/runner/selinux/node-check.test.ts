import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { untilAborted } from '../../../../core/abortable.ts';
import { ManualClock } from '../../../../core/clock.ts';
import { UpstreamError } from '../../../../core/errors.ts';
import { silentLogger } from '../../../../core/logger.ts';
import type { KubeNamespace, KubePod, Listed } from '../../../../runner/cluster/types.ts';
import type { ContainerDetails } from '../../../../runner/runtime/ImageRuntime.ts';
import type { HandedSelinux } from '../../../../runner/selinux/handed-selinux.ts';
import { checkNodeSelinux } from '../../../../runner/selinux/node-check.ts';
import { MemoryLabels } from './memory-labels.ts';

const KEY = 'example.com/selinux-context';
const TENANT = 'system_u:object_r:container_file_t:s0:c5,c6';

const listed = <T>(items: T[]): Listed<T> => ({ items, invalid: [] });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-node-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function container(
  id: string,
  ns: string,
  pod: string,
  mounts: ContainerDetails['mounts'] = [],
): ContainerDetails {
  return {
    id,
    names: [`/${id}`],
    image: 'x',
    imageId: 'sha256:x',
    state: 'running',
    labels: {
      'io.kubernetes.pod.namespace': ns,
      'io.kubernetes.pod.name': pod,
      'io.kubernetes.pod.uid': `uid-${pod}`,
      'io.kubernetes.container.name': 'app',
    },
    pid: 1,
    processLabel: 'system_u:system_r:container_t:s0:c5,c6',
    mountLabel: TENANT,
    securityOpt: [],
    mounts,
  };
}

describe('checkNodeSelinux', () => {
  it('counts a container it cannot inspect and a volume root that is a symlink, and checks the rest', async () => {
    // Prepare
    const podsRoot = join(dir, 'pods');
    const good = join(podsRoot, 'uid-a/volumes/kubernetes.io~empty-dir/data');
    const linked = join(podsRoot, 'uid-b/volumes/kubernetes.io~empty-dir/data');
    mkdirSync(good, { recursive: true });
    mkdirSync(join(podsRoot, 'uid-b/volumes/kubernetes.io~empty-dir'), { recursive: true });
    symlinkSync('/etc', linked);
    writeFileSync(join(good, 'f'), '');
    const labels = new MemoryLabels(
      new Map([
        [good, TENANT],
        [join(good, 'f'), 'system_u:object_r:container_file_t:s0:c1,c2'],
      ]),
    );
    const namespaces: KubeNamespace[] = [
      { metadata: { name: 't', labels: { [KEY]: '5-6' } } },
      { metadata: { name: 'elsewhere', labels: { [KEY]: '5-' } } },
    ];
    const details = [
      container('a', 't', 'a', [{ type: 'bind', source: good, destination: '/d' }]),
      container('b', 't', 'b', [{ type: 'bind', source: linked, destination: '/d' }]),
    ];
    const runtime = {
      listContainers: async () => [...details, { ...container('gone', 't', 'c') }],
      inspectContainer: async (id: string) => {
        if (id === 'gone') throw new UpstreamError('docker', 'socket hang up');
        return details.find((d) => d.id === id);
      },
    };
    const cluster = {
      listNamespaces: async () => listed(namespaces),
      listPods: async () => listed<KubePod>([]),
    };
    // Act
    const result = await checkNodeSelinux(
      {
        cluster,
        runtime,
        labels,
        mounts: { mounts: async () => [] },
        clock: new ManualClock(),
        logger: silentLogger(),
      },
      { node: 'n1', labelKey: KEY, podsRoot, fileBudget: 100, timeBudgetMs: 60_000, relabel: false },
    );
    // Assess
    expect(result.containers).toMatchObject({ checked: 2, drifted: 0, inspectFailed: 1 });
    expect(result.volumes).toMatchObject({ checked: 2, drifted: 1, failed: 1, files: 2, filesDrifted: 1 });
    expect(result.issues.map((i) => [i.check, i.subject])).toEqual([
      ['volume-drift', good],
      ['check-failed', linked],
    ]);
    // the malformed label of a namespace with no container here is the cluster audit's business
    expect(result.issues.some((i) => i.namespace === 'elsewhere')).toBe(false);
  });

  it('relabels drifted files only when asked, under the pods root', async () => {
    const podsRoot = join(dir, 'pods');
    const vol = join(podsRoot, 'uid-a/volumes/kubernetes.io~empty-dir/data');
    mkdirSync(vol, { recursive: true });
    writeFileSync(join(vol, 'f'), '');
    // The label write takes 7 ms of the clock: that is the time the report gives to relabelling.
    const clock = new ManualClock();
    const labels = new MemoryLabels(
      new Map([
        [vol, TENANT],
        [join(vol, 'f'), 'staff_u:object_r:foo_t:s0:c1,c2'],
      ]),
      { onRelabel: () => clock.advance(7) },
    );
    const cluster = {
      listNamespaces: async () =>
        listed<KubeNamespace>([{ metadata: { name: 't', labels: { [KEY]: '5-6' } } }]),
      listPods: async () => listed<KubePod>([]),
    };
    const c = container('a', 't', 'a', [{ type: 'bind', source: vol, destination: '/d' }]);
    const runtime = { listContainers: async () => [c], inspectContainer: async () => c };
    const result = await checkNodeSelinux(
      {
        cluster,
        runtime,
        labels,
        mounts: { mounts: async () => [] },
        clock,
        logger: silentLogger(),
      },
      { node: 'n1', labelKey: KEY, podsRoot, fileBudget: 100, timeBudgetMs: 60_000, relabel: true },
    );
    expect(result.volumes.relabelled).toBe(1);
    expect(result.volumes.relabelMs).toBe(7);
    expect(result.volumeResults[0]?.relabelMs).toBe(7);
    expect(labels.labels.get(join(vol, 'f'))).toBe('staff_u:object_r:foo_t:s0:c5,c6');
  });

  it('skips the other volumes on a network mount that ran a volume into its time budget', async () => {
    // Prepare: two volumes of one pod on the same NFS mount (labelled NFS: per-file walk),
    // whose server stops answering during the first walk
    const podsRoot = join(dir, 'pods');
    const nfs = join(podsRoot, 'uid-a/volumes/kubernetes.io~nfs');
    const [one, two] = [join(nfs, 'one'), join(nfs, 'two')];
    mkdirSync(one, { recursive: true });
    mkdirSync(two, { recursive: true });
    let fire: (() => void) | undefined;
    let reads = 0;
    const labels = new MemoryLabels(new Map(), {
      onRead: (signal) => {
        reads++;
        fire?.();
        return untilAborted(new Promise<void>(() => undefined), signal);
      },
    });
    const c = container('a', 't', 'a', [
      { type: 'bind', source: one, destination: '/one' },
      { type: 'bind', source: two, destination: '/two' },
    ]);
    // Act
    const result = await checkNodeSelinux(
      {
        cluster: {
          listNamespaces: async () =>
            listed<KubeNamespace>([{ metadata: { name: 't', labels: { [KEY]: '5-6' } } }]),
          listPods: async () => listed<KubePod>([]),
        },
        runtime: { listContainers: async () => [c], inspectContainer: async () => c },
        labels,
        mounts: {
          mounts: async () => [
            { mountPoint: nfs, fsType: 'nfs4', source: 'filer:/export', options: { seclabel: true } },
          ],
        },
        clock: new ManualClock(),
        logger: silentLogger(),
        timer: (_ms, onExpire) => {
          fire = onExpire;
          return () => undefined;
        },
      },
      { node: 'n1', labelKey: KEY, podsRoot, fileBudget: 100, timeBudgetMs: 60_000, relabel: false },
    );
    // Assess: the first volume stopped at its budget, the second was not walked at all
    expect(reads).toBe(1);
    expect(result.volumes.incomplete).toBe(2);
    expect(result.issues.map((i) => [i.check, i.subject])).toEqual([
      ['walk-incomplete', one],
      ['walk-incomplete', two],
    ]);
    expect(result.issues[1]?.detail).toMatch(/network mount .* ran out of its time budget/);
  });

  describe('with namespaces and pods handed over by the fan-out', () => {
    /** A cluster port that fails the test if the handed step reaches for the API. */
    const noApi = {
      listNamespaces: async () => {
        throw new Error('listNamespaces called on a handed pass');
      },
      listPods: async () => {
        throw new Error('listPods called on a handed pass');
      },
    };
    const handed = (extra: Partial<HandedSelinux> = {}): HandedSelinux => ({
      labelKey: KEY,
      namespaces: [{ name: 't', labels: { [KEY]: '5-6' }, annotations: {} }],
      pods: [
        { metadata: { name: 'a', namespace: 't', uid: 'uid-a' }, spec: { containers: [] } },
        // its own level: the container must run at s0:c7,c8, not at the namespace's
        {
          metadata: { name: 'own', namespace: 't', uid: 'uid-own' },
          spec: { securityContext: { seLinuxOptions: { level: 's0:c7,c8' } }, containers: [] },
        },
      ],
      ...extra,
    });
    const run = (details: ContainerDetails[], set: HandedSelinux, labels = new MemoryLabels()) =>
      checkNodeSelinux(
        {
          cluster: noApi,
          runtime: {
            listContainers: async () => details,
            inspectContainer: async (id: string) => details.find((d) => d.id === id),
          },
          labels,
          mounts: { mounts: async () => [] },
          clock: new ManualClock(),
          logger: silentLogger(),
        },
        {
          node: 'n1',
          labelKey: KEY,
          podsRoot: join(dir, 'pods'),
          fileBudget: 100,
          timeBudgetMs: 60_000,
          relabel: false,
          handed: set,
        },
      );

    it('checks against the handed levels without any list, pod-level overrides included', async () => {
      // Prepare: `a` at its namespace's level (fine), `own` at the namespace's level too (drift:
      // its pod asks for s0:c7,c8)
      const details = [container('a', 't', 'a'), container('own', 't', 'own')];
      // Act
      const result = await run(details, handed());
      // Assess
      expect(result.containers).toMatchObject({ checked: 2, drifted: 1, newerThanHanded: 0 });
      expect(result.issues.find((i) => i.check === 'container-drift')?.detail).toMatch(
        /own\/app in t on n1 should run at s0:c7,c8 \(pod\)/,
      );
    });

    it('counts a container whose pod is newer than the handed set (or recreated), and flags nothing', async () => {
      // Prepare: `late` was created after the fan-out planned; `a` was deleted and recreated
      // under the same name (another uid); both run at a level no handed rule expects
      const late = {
        ...container('late', 't', 'late'),
        processLabel: 'system_u:system_r:container_t:s0:c1,c2',
      };
      const recreated = container('a2', 't', 'a');
      recreated.labels['io.kubernetes.pod.uid'] = 'uid-a-new';
      recreated.processLabel = 'system_u:system_r:container_t:s0:c1,c2';
      // Act
      const result = await run(
        [late, recreated, container('own', 't', 'own')],
        handed({ pods: handed().pods.slice(0, 1) }),
      );
      // Assess
      expect(result.containers).toMatchObject({ checked: 0, drifted: 0, newerThanHanded: 3 });
      expect(result.issues).toEqual([]);
    });

    it('refuses a section the fan-out could not fill, or kept for another label key, and lists nothing instead', async () => {
      await expect(run([], handed({ unavailable: 'namespaces: 403 forbidden' }))).rejects.toThrow(
        /could not read namespaces: 403 forbidden; SELinux is checked next tick/,
      );
      await expect(run([], handed({ labelKey: 'other.io/level' }))).rejects.toThrow(
        /kept namespace label other\.io\/level, this pass reads example\.com\/selinux-context/,
      );
    });
  });
});
