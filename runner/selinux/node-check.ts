// The node pass's SELinux step: expected levels from the namespaces, this node's pods and
// running containers, each container's labels, then each tenant volume's files (read-only
// unless relabelling is enabled). One container or volume that cannot be read is counted and
// reported; the rest are still checked.
import type { Timer } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { ImageRuntime } from '../runtime/ImageRuntime.ts';
import { checkContainers, PodSelinux } from './check-containers.ts';
import type { VolumeCheckResult } from './check-volume.ts';
import { type ExpectedLevel, NamespaceMeta, namespaceLevel } from './expected-level.ts';
import type { LabelStore } from './LabelStore.ts';
import type { MountTable } from './mountinfo.ts';
import { inspectLive } from './node-containers.ts';
import { checkNodeVolumes, tenantVolumes, type VolumeTotals } from './node-volumes.ts';

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
  volumes: VolumeTotals;
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
  const [namespaces, pods, containers, mounts] = await Promise.all([
    cluster.listNamespaces(),
    cluster.listPods({ nodeName: options.node }),
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

  const { details, inspectFailed } = await inspectLive(containers, runtime, logger, options.signal);
  const containerResult = checkContainers(details, podSpecs, levels, options.node);
  const issues: SelinuxIssue[] = [...containerResult.issues];
  // Level problems of the namespaces that have containers here (the cluster audit reports all).
  for (const ns of new Set(containerResult.checks.map((c) => c.namespace)))
    issues.push(...(namespaceIssues.get(ns) ?? []));

  const podsRoot = options.podsRoot.replace(/\/+$/, '');
  const volumes = await checkNodeVolumes(tenantVolumes(containerResult.checks, details, podsRoot), {
    ...options,
    podsRoot,
    labels: ports.labels,
    clock: ports.clock,
    ...(ports.timer ? { timer: ports.timer } : {}),
    mounts,
  });
  issues.push(...volumes.issues);
  return {
    containers: {
      checked: containerResult.checked,
      drifted: containerResult.drifted,
      noExpectation: containerResult.noExpectation,
      notPods: containerResult.notPods,
      inspectFailed,
    },
    volumes: volumes.totals,
    volumeResults: volumes.volumeResults,
    issues,
  };
}
