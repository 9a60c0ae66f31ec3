// The node pass's volume checks: the tenant volumes of the containers checked on this node
// (mount sources under <podsRoot>/<pod uid>/volumes/, each once), each walked by checkVolume,
// totals added up and each volume's problems turned into findings. A network mount that ran a
// volume into its time budget is probably hung: its other volumes are skipped this pass, or
// each would leave another of Node's few I/O threads stuck on it.
import type { Timer } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import { makeIssue, type SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { ContainerCheck, InspectedContainer } from './check-containers.ts';
import { checkVolume, type VolumeCheckResult } from './check-volume.ts';
import type { ExpectedLevel } from './expected-level.ts';
import type { LabelStore } from './LabelStore.ts';
import { formatLevel } from './mcs.ts';
import { type MountEntry, mountOf } from './mountinfo.ts';

export interface VolumeTotals {
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
}

export interface NodeVolumesRun {
  node: string;
  podsRoot: string;
  volumeRoots?: readonly string[];
  fileBudget: number;
  timeBudgetMs: number;
  relabel: boolean;
  signal?: AbortSignal;
  labels: LabelStore;
  clock: Clock;
  timer?: Timer;
  mounts: readonly MountEntry[];
}

export interface NodeVolumesResult {
  totals: VolumeTotals;
  volumeResults: (VolumeCheckResult & { namespace: string; expected: string })[];
  issues: SelinuxIssue[];
}

/** Tenant volumes of the checked containers, each with the namespace and level it must carry. */
export function tenantVolumes(
  checks: readonly ContainerCheck[],
  details: readonly InspectedContainer[],
  podsRoot: string,
): Map<string, { namespace: string; expected: ExpectedLevel }> {
  const volumes = new Map<string, { namespace: string; expected: ExpectedLevel }>();
  for (const check of checks) {
    if (!check.expected || !check.podUid) continue;
    const container = details.find((d) => d.id === check.container);
    for (const mount of container?.mounts ?? []) {
      if (mount.source.startsWith(`${podsRoot}/${check.podUid}/volumes/`) && !volumes.has(mount.source)) {
        volumes.set(mount.source, { namespace: check.namespace, expected: check.expected });
      }
    }
  }
  return volumes;
}

export async function checkNodeVolumes(
  volumes: ReadonlyMap<string, { namespace: string; expected: ExpectedLevel }>,
  run: NodeVolumesRun,
): Promise<NodeVolumesResult> {
  const out: NodeVolumesResult = { totals: emptyTotals(), volumeResults: [], issues: [] };
  const hungMounts = new Set<string>();
  for (const [source, { namespace, expected }] of volumes) {
    if (run.signal?.aborted) break;
    const level = formatLevel(expected.level);
    const network = networkMountOf(source, run.mounts);
    if (network !== undefined && hungMounts.has(network)) {
      out.totals.incomplete++;
      out.issues.push(
        makeIssue({
          namespace,
          node: run.node,
          subject: source,
          expected: level,
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
      labels: run.labels,
      clock: run.clock,
      fileBudget: run.fileBudget,
      timeBudgetMs: run.timeBudgetMs,
      ...(run.timer ? { timer: run.timer } : {}),
      mounts: run.mounts,
      ...(run.relabel ? { relabel: { roots: [run.podsRoot, ...(run.volumeRoots ?? [])] } } : {}),
    });
    out.volumeResults.push({ ...v, namespace, expected: level });
    if (v.mode === 'skipped') continue;
    addTotals(out.totals, v);
    out.issues.push(...volumeIssues(v, { namespace, node: run.node, subject: source, expected: level }, run));
    if (v.stoppedEarly === 'time-budget' && network !== undefined) hungMounts.add(network);
  }
  return out;
}

function emptyTotals(): VolumeTotals {
  return {
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
  };
}

function addTotals(totals: VolumeTotals, v: VolumeCheckResult): void {
  totals.checked++;
  totals.files += v.checked;
  totals.filesDrifted += v.drifted + v.malformed;
  totals.relabelled += v.relabelled;
  totals.relabelFailed += v.relabelFailed;
  totals.relabelRefused += v.relabelRefused;
  totals.relabelMs += v.relabelMs;
  if (v.mode === 'refused' || (v.errors > 0 && v.checked === 0)) totals.failed++;
  else {
    if (v.drifted + v.malformed > 0) totals.drifted++;
    if (v.stoppedEarly) totals.incomplete++;
  }
}

/** What one volume's result reports: not checked, drifted, or walked only in part. */
function volumeIssues(
  v: VolumeCheckResult,
  common: { namespace: string; node: string; subject: string; expected: string },
  run: { relabel: boolean },
): SelinuxIssue[] {
  const { namespace, subject: source, expected: level } = common;
  if (v.mode === 'refused' || (v.errors > 0 && v.checked === 0)) {
    return [
      makeIssue({
        ...common,
        check: 'check-failed',
        severity: 'High',
        detail: `volume ${source} of ${namespace} not checked: ${v.note ?? 'unreadable'}`,
      }),
    ];
  }
  const issues: SelinuxIssue[] = [];
  if (v.drifted + v.malformed > 0) {
    const fixed = run.relabel
      ? `; relabelled ${v.relabelled}, failed ${v.relabelFailed}, refused ${v.relabelRefused}`
      : '';
    const levels = Object.entries(v.wrongLevels)
      .map(([l, n]) => `${n} at ${l}`)
      .join(', ');
    issues.push(
      makeIssue({
        ...common,
        check: v.mode === 'single-context' ? 'mount-context-drift' : 'volume-drift',
        severity: 'Critical',
        detail: `${v.drifted + v.malformed} of ${v.checked} entries in volume ${source} (${namespace}) are not at ${level}: ${levels}${fixed}`,
        actual: Object.keys(v.wrongLevels),
        count: v.drifted + v.malformed,
        samplePaths: v.samplePaths,
      }),
    );
  }
  if (v.stoppedEarly) {
    issues.push(
      makeIssue({
        ...common,
        check: 'walk-incomplete',
        severity: 'Medium',
        detail: `volume ${source} walk stopped at the ${v.stoppedEarly} after ${v.checked} entries; the rest was not checked`,
        count: v.checked,
      }),
    );
  }
  return issues;
}

const NETWORK_FS = /^(nfs4?|cifs|smb3|9p|fuse(\..*)?|ceph|glusterfs|lustre)$/;

/** The mount point of the network file system holding `path`, if it is on one. */
function networkMountOf(path: string, mounts: readonly MountEntry[] | undefined): string | undefined {
  const mount = mounts ? mountOf(path, mounts) : undefined;
  return mount && NETWORK_FS.test(mount.fsType) ? mount.mountPoint : undefined;
}
