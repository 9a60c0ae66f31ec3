// The node pass's SELinux step: expected levels from the namespaces, this node's pods and
// running containers, each container's labels, then each tenant volume's files (read-only
// unless relabelling is enabled). One container or volume that cannot be read is counted and
// reported; the rest are still checked. Namespaces and pods come from the set the fan-out
// handed over (no API list at all) or, in a pass started by hand, from the API.
import type { Timer } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import { errorMessage, ValidationError } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { ImageRuntime } from '../runtime/ImageRuntime.ts';
import { checkContainers, PodSelinux } from './check-containers.ts';
import type { VolumeCheckResult } from './check-volume.ts';
import { type ExpectedLevel, NamespaceMeta, namespaceLevel } from './expected-level.ts';
import type { HandedSelinux } from './handed-selinux.ts';
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
  /** Namespaces and pods handed over by the fan-out: the step then lists nothing. */
  handed?: HandedSelinux | undefined;
  signal?: AbortSignal;
}

export interface NodeSelinuxResult {
  containers: {
    checked: number;
    drifted: number;
    noExpectation: number;
    notPods: number;
    /** Containers of pods the handed set does not hold (newer than it): checked next tick. */
    newerThanHanded: number;
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

/** Namespaces and pods as the checks read them: the handed snapshot, else listed now. */
async function namespacesAndPods(
  cluster: NodeSelinuxPorts['cluster'],
  options: NodeSelinuxOptions,
): Promise<{ namespaces: NamespaceMeta[]; pods: PodSelinux[] }> {
  const { handed } = options;
  if (handed) {
    const source = 'handed desired set (selinux)';
    if (handed.unavailable !== undefined)
      throw new ValidationError(
        source,
        `the fan-out could not read ${handed.unavailable}; SELinux is checked next tick`,
      );
    if (handed.labelKey !== options.labelKey) {
      throw new ValidationError(
        source,
        `the fan-out kept namespace label ${handed.labelKey}, this pass reads ${options.labelKey}: give both the same runner.selinux.labelKey`,
      );
    }
    return { namespaces: handed.namespaces, pods: handed.pods };
  }
  const [namespaces, pods] = await Promise.all([
    cluster.listNamespaces(),
    cluster.listPods({ nodeName: options.node }),
  ]);
  return {
    namespaces: namespaces.items.map(namespaceMetaOf),
    pods: pods.items.flatMap((p) => {
      const parsed = PodSelinux.safeParse(p);
      return parsed.success ? [parsed.data] : [];
    }),
  };
}

export async function checkNodeSelinux(
  ports: NodeSelinuxPorts,
  options: NodeSelinuxOptions,
): Promise<NodeSelinuxResult> {
  const { cluster, runtime, logger } = ports;
  const [{ namespaces, pods: podSpecs }, containers, mounts] = await Promise.all([
    namespacesAndPods(cluster, options),
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
  for (const ns of namespaces) {
    const resolved = namespaceLevel(ns, options.labelKey);
    levels.set(resolved.namespace, resolved.expected);
    namespaceIssues.set(resolved.namespace, resolved.issues);
  }

  const { details, inspectFailed } = await inspectLive(containers, runtime, logger, options.signal);
  const containerResult = checkContainers(details, podSpecs, levels, options.node, {
    handedPods: options.handed !== undefined,
  });
  if (containerResult.newerThanHanded > 0) {
    logger.info(
      { containers: containerResult.newerThanHanded },
      'containers of pods newer than the handed set not checked; the next tick checks them',
    );
  }
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
      newerThanHanded: containerResult.newerThanHanded,
      inspectFailed,
    },
    volumes: volumes.totals,
    volumeResults: volumes.volumeResults,
    issues,
  };
}
