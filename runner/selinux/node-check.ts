// The node pass's SELinux step: expected levels from the namespaces, this node's pods and
// running containers, each container's labels, then each tenant volume's files (read-only
// unless relabelling is enabled). One container or volume that cannot be read is counted and
// reported; the rest are still checked.
import type { Timer } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import { mapBounded } from '../../core/concurrency.ts';
import { errorMessage } from '../../core/errors.ts';
import { makeIssue, type SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { ImageRuntime } from '../runtime/ImageRuntime.ts';
import { checkContainers, type InspectedContainer, PodSelinux } from './check-containers.ts';
import { checkVolume, type VolumeCheckResult } from './check-volume.ts';
import { type ExpectedLevel, NamespaceMeta, namespaceLevel } from './expected-level.ts';
import type { LabelStore } from './LabelStore.ts';
import { formatLevel } from './mcs.ts';
import { type MountEntry, type MountTable, mountOf } from './mountinfo.ts';

export interface NodeSelinuxPorts {
  cluster: Pick<ClusterReader, 'listNamespaces' | 'listPods'>;
  runtime: Pick<ImageRuntime, 'listContainers' | 'inspectContainer'>;
  labels: LabelStore;
  mounts: MountTable;
  clock: Clock;
  logger: Logger;
  /** The timer behind each volume's time budget (default: setTimeout). */
  timer?: Timer;
}

export interface NodeSelinuxOptions {
  node: string;
  labelKey: string;
  podsRoot: string;
  /** Extra roots relabelling may write under (podsRoot always counts). */
  volumeRoots?: readonly string[];
  fileBudget: number;
  timeBudgetMs: number;
  relabel: boolean;
  signal?: AbortSignal;
}

export interface NodeSelinuxResult {
  containers: {
    checked: number;
    drifted: number;
    noExpectation: number;
    notPods: number;
    inspectFailed: number;
  };
  volumes: {
    checked: number;
    drifted: number;
    incomplete: number;
    failed: number;
    files: number;
    filesDrifted: number;
    relabelled: number;
    relabelFailed: number;
    relabelRefused: number;
    /** Time the relabel writes (and their re-checks) took, over all volumes. */
    relabelMs: number;
  };
  volumeResults: (VolumeCheckResult & { namespace: string; expected: string })[];
  issues: SelinuxIssue[];
}

/** Normalises a Kubernetes Namespace object into what the level checks read. */
export function namespaceMetaOf(ns: {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}): NamespaceMeta {
  return NamespaceMeta.parse({
    name: ns.metadata.name,
    labels: ns.metadata.labels ?? {},
    annotations: ns.metadata.annotations ?? {},
  });
}

export async function checkNodeSelinux(
  ports: NodeSelinuxPorts,
  options: NodeSelinuxOptions,
): Promise<NodeSelinuxResult> {
  const { cluster, runtime, logger } = ports;
  const { node } = options;
  const issues: SelinuxIssue[] = [];
  const [namespaces, pods, containers, mounts] = await Promise.all([
    cluster.listNamespaces(),
    cluster.listPods({ nodeName: node }),
    runtime.listContainers(),
    ports.mounts.mounts().catch((error: unknown) => {
      logger.warn(
        { err: errorMessage(error) },
        'cannot read the mount table; every volume is checked per file',
      );
      return [];
    }),
  ]);
  const levels = new Map<string, ExpectedLevel | undefined>();
  const namespaceIssues = new Map<string, SelinuxIssue[]>();
  for (const ns of namespaces.items) {
    const resolved = namespaceLevel(namespaceMetaOf(ns), options.labelKey);
    levels.set(resolved.namespace, resolved.expected);
    namespaceIssues.set(resolved.namespace, resolved.issues);
  }
  const podSpecs = pods.items.flatMap((p) => {
    const parsed = PodSelinux.safeParse(p);
    return parsed.success ? [parsed.data] : [];
  });

  const live = containers.filter((c) => ['running', 'paused', 'restarting'].includes(c.state));
  const inspected = await mapBounded(
    live,
    4,
    (c) => runtime.inspectContainer(c.id),
    options.signal ? { signal: options.signal } : {},
  );
  let inspectFailed = 0;
  const details: InspectedContainer[] = [];
  inspected.forEach((outcome, i) => {
    if (outcome.ok && outcome.value) details.push(outcome.value);
    else if (!outcome.ok) {
      inspectFailed++;
      logger.warn({ container: live[i]?.id, err: errorMessage(outcome.error) }, 'cannot inspect container');
    }
  });
  const containerResult = checkContainers(details, podSpecs, levels, node);
  issues.push(...containerResult.issues);
  // Level problems of the namespaces that have containers here (the cluster audit reports all).
  for (const ns of new Set(containerResult.checks.map((c) => c.namespace)))
    issues.push(...(namespaceIssues.get(ns) ?? []));

  // Volumes: mount sources under <podsRoot>/<pod uid>/volumes/, each checked once.
  const podsRoot = options.podsRoot.replace(/\/+$/, '');
  const volumes = new Map<string, { namespace: string; expected: ExpectedLevel }>();
  for (const check of containerResult.checks) {
    if (!check.expected || !check.podUid) continue;
    const container = details.find((d) => d.id === check.container);
    for (const mount of container?.mounts ?? []) {
      if (mount.source.startsWith(`${podsRoot}/${check.podUid}/volumes/`) && !volumes.has(mount.source)) {
        volumes.set(mount.source, { namespace: check.namespace, expected: check.expected });
      }
    }
  }
  const result: NodeSelinuxResult = {
    containers: {
      checked: containerResult.checked,
      drifted: containerResult.drifted,
      noExpectation: containerResult.noExpectation,
      notPods: containerResult.notPods,
      inspectFailed,
    },
    volumes: {
      checked: 0,
      drifted: 0,
      incomplete: 0,
      failed: 0,
      files: 0,
      filesDrifted: 0,
      relabelled: 0,
      relabelFailed: 0,
      relabelRefused: 0,
      relabelMs: 0,
    },
    volumeResults: [],
    issues,
  };
  // A network mount that ran a volume into its time budget is probably hung: its other volumes
  // are skipped this pass, or each would leave another of Node's few I/O threads stuck on it.
  const hungMounts = new Set<string>();
  for (const [source, { namespace, expected }] of volumes) {
    if (options.signal?.aborted) break;
    const network = networkMountOf(source, mounts);
    if (network !== undefined && hungMounts.has(network)) {
      result.volumes.incomplete++;
      issues.push(
        makeIssue({
          namespace,
          node,
          subject: source,
          expected: formatLevel(expected.level),
          check: 'walk-incomplete',
          severity: 'Medium',
          detail: `volume ${source} not checked: another volume on the network mount ${network} ran out of its time budget this pass`,
          count: 0,
        }),
      );
      continue;
    }
    const v = await checkVolume({
      root: source,
      expected: expected.level,
      labels: ports.labels,
      clock: ports.clock,
      fileBudget: options.fileBudget,
      timeBudgetMs: options.timeBudgetMs,
      ...(ports.timer ? { timer: ports.timer } : {}),
      mounts,
      ...(options.relabel ? { relabel: { roots: [podsRoot, ...(options.volumeRoots ?? [])] } } : {}),
    });
    const level = formatLevel(expected.level);
    result.volumeResults.push({ ...v, namespace, expected: level });
    const totals = result.volumes;
    if (v.mode === 'skipped') continue;
    totals.checked++;
    totals.files += v.checked;
    totals.filesDrifted += v.drifted + v.malformed;
    totals.relabelled += v.relabelled;
    totals.relabelFailed += v.relabelFailed;
    totals.relabelRefused += v.relabelRefused;
    totals.relabelMs += v.relabelMs;
    const common = { namespace, node, subject: source, expected: level };
    if (v.mode === 'refused' || (v.errors > 0 && v.checked === 0)) {
      totals.failed++;
      issues.push(
        makeIssue({
          ...common,
          check: 'check-failed',
          severity: 'High',
          detail: `volume ${source} of ${namespace} not checked: ${v.note ?? 'unreadable'}`,
        }),
      );
      continue;
    }
    if (v.drifted + v.malformed > 0) {
      totals.drifted++;
      const fixed = options.relabel
        ? `; relabelled ${v.relabelled}, failed ${v.relabelFailed}, refused ${v.relabelRefused}`
        : '';
      issues.push(
        makeIssue({
          ...common,
          check: v.mode === 'single-context' ? 'mount-context-drift' : 'volume-drift',
          severity: 'Critical',
          detail: `${v.drifted + v.malformed} of ${v.checked} entries in volume ${source} (${namespace}) are not at ${level}: ${Object.entries(
            v.wrongLevels,
          )
            .map(([l, n]) => `${n} at ${l}`)
            .join(', ')}${fixed}`,
          actual: Object.keys(v.wrongLevels),
          count: v.drifted + v.malformed,
          samplePaths: v.samplePaths,
        }),
      );
    }
    if (v.stoppedEarly === 'time-budget' && network !== undefined) hungMounts.add(network);
    if (v.stoppedEarly) {
      totals.incomplete++;
      issues.push(
        makeIssue({
          ...common,
          check: 'walk-incomplete',
          severity: 'Medium',
          detail:
            v.stoppedEarly === 'error'
              ? `volume ${source} walk failed after ${v.checked} entries (${v.note ?? 'reader failed'}); the rest was not checked`
              : `volume ${source} walk stopped at the ${v.stoppedEarly} after ${v.checked} entries; the rest was not checked`,
          count: v.checked,
        }),
      );
    }
  }
  return result;
}

const NETWORK_FS = /^(nfs4?|cifs|smb3|9p|fuse(\..*)?|ceph|glusterfs|lustre)$/;

/** The mount point of the network file system holding `path`, if it is on one. */
function networkMountOf(path: string, mounts: readonly MountEntry[] | undefined): string | undefined {
  const mount = mounts ? mountOf(path, mounts) : undefined;
  return mount && NETWORK_FS.test(mount.fsType) ? mount.mountPoint : undefined;
}
