// The SELinux step of a node pass as a report section: checks this node (read-only unless
// relabelling is enabled and the pass is not a dry run), publishes the findings, and says
// ok only when nothing drifted and every volume could be checked. A pass handed its desired
// set checks with the namespaces and pods handed beside it and lists nothing.
import type { SecretSources } from '../../core/config/secrets.ts';
import type { RunnerSelinuxSection } from '../../core/config/sections/runner-selinux.ts';
import { ValidationError } from '../../core/errors.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { ReportSection } from '../report.ts';
import { AttrLabelStore } from './AttrLabelStore.ts';
import type { FindingSink } from './FindingSink.ts';
import type { HandedSelinux } from './handed-selinux.ts';
import type { LabelStore } from './LabelStore.ts';
import { type MountTable, procMountTable } from './mountinfo.ts';
import { checkNodeSelinux, type NodeSelinuxPorts } from './node-check.ts';
import { publishFindings, sinksFromConfig } from './sinks.ts';

type SelinuxConfig = RunnerSelinuxSection;

export interface SelinuxSectionPorts extends Omit<NodeSelinuxPorts, 'labels' | 'mounts'> {
  cluster: NodeSelinuxPorts['cluster'] & Pick<ClusterReader, 'createEvent'>;
  labels?: LabelStore;
  mounts?: MountTable;
  /** Defaults to sinks built from config. */
  sinks?: FindingSink[];
  secrets?: SecretSources;
}

export async function selinuxSection(
  ports: SelinuxSectionPorts,
  options: {
    node: string;
    config: SelinuxConfig;
    dryRun: boolean;
    /** Set when the fan-out handed the pass its desired set: what came with it for this step. */
    handedSet?: { selinux: HandedSelinux | undefined } | undefined;
    signal?: AbortSignal;
  },
): Promise<ReportSection> {
  const { config, handedSet } = options;
  // Handed a set, the node Job has no right to list: without the namespaces and pods beside
  // the set there is nothing to check against, and the API is not asked instead.
  if (handedSet && !handedSet.selinux) {
    throw new ValidationError(
      'handed desired set',
      'it carries no namespaces and pods for the SELinux checks (the fan-out ran with runner.selinux.enabled: false)',
    );
  }
  const result = await checkNodeSelinux(
    { ...ports, labels: ports.labels ?? new AttrLabelStore(), mounts: ports.mounts ?? procMountTable() },
    {
      node: options.node,
      labelKey: config.labelKey,
      podsRoot: config.podsRoot,
      volumeRoots: config.volumeRoots,
      fileBudget: config.fileBudget,
      timeBudgetMs: config.timeBudget,
      relabel: config.relabel && !options.dryRun,
      ...(handedSet?.selinux ? { handed: handedSet.selinux } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  // A dry run records nothing outside the report.
  const sinks = options.dryRun
    ? []
    : (ports.sinks ?? (await sinksFromConfig(config, ports.cluster, ports.secrets ?? {})));
  const delivered = await publishFindings(
    result.issues,
    sinks,
    { node: options.node, at: ports.clock.now() },
    ports.logger,
  );
  const critical = result.issues.filter((i) => i.severity === 'Critical').length;
  return {
    ok: critical === 0 && result.volumes.failed === 0 && result.containers.inspectFailed === 0,
    summary: {
      containers: result.containers.checked,
      containersDrifted: result.containers.drifted,
      // pods created after the fan-out planned: their levels are unknown here, checked next tick
      ...(handedSet ? { containersNewerThanHandedSet: result.containers.newerThanHanded } : {}),
      volumes: result.volumes.checked,
      volumesDrifted: result.volumes.drifted,
      files: result.volumes.files,
      filesDrifted: result.volumes.filesDrifted,
      relabelled: result.volumes.relabelled,
      relabelMs: result.volumes.relabelMs,
      incomplete: result.volumes.incomplete,
      findings: result.issues.length,
      critical,
    },
    details: { ...result, delivered },
  };
}
