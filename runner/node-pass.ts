// One runner pass on one node: desired set -> runtime (chosen from what the node reports) ->
// seed -> state -> [prune] -> [selinux] -> report. Steps after the seed plug in at the marked
// insertion points, each adding a report section with addSection(). The report is published
// even when a step fails or the pass is aborted (SIGTERM). A dry run goes on without a
// runtime (presence unknown) and contacts registries only when asked.
import type { Clock } from '../core/clock.ts';
import type { RunnerSection } from '../core/config/sections/runner.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialSource } from '../core/registry/CredentialSource.ts';
import type { CredentialStore } from '../core/registry/credentials.ts';
import type { ClusterReader } from './cluster/ClusterReader.ts';
import { collectDesired } from './desired/collect-desired.ts';
import type { HandedDesired } from './desired/handed-set.ts';
import { pullCredentialsFor } from './desired/pull-credentials-for.ts';
import { pruneSection } from './prune/prune-section.ts';
import { addSection, finishReport, newReport, publishReport, type RunReport } from './report.ts';
import type { ImageRuntime, RuntimeInfo } from './runtime/ImageRuntime.ts';
import { type NodeRuntimeFacts, nodeRuntimeFacts } from './runtime/node-capacity.ts';
import { compareRuntimes } from './runtime/runtime-detection.ts';
import type { RuntimeSelection } from './runtime/selection.ts';
import { type DigestResolver, seedImages } from './seed.ts';
import { selinuxSection } from './selinux/selinux-section.ts';
import { loadNodeState, recordSeed, saveNodeState } from './state.ts';

/** The image runtime of one node and, when it was chosen by selection.ts, why. */
export interface RuntimeChoice {
  runtime: ImageRuntime;
  selection?: RuntimeSelection;
}

export interface NodePassPorts {
  cluster: ClusterReader;
  /** The node's image runtime, from what the node reports (runner.runtime: auto follows it). */
  runtimeFor(node: NodeRuntimeFacts): RuntimeChoice;
  /** A registry client for one credential set; `key` names the set so callers can cache. */
  registryFor(key: string, credentials: CredentialStore): DigestResolver;
  /** Credentials for hosts no pull secret covers (Amazon ECR tokens), asked once per host per pass. */
  ambientCredentials?: CredentialSource;
  logger: Logger;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface NodePassOptions {
  nodeName: string;
  config: RunnerSection;
  dryRun: boolean;
  /** Dry run: check tags against their registries (default: plan from the local store alone). */
  checkRegistry?: boolean;
  signal?: AbortSignal;
}

/** The same runtime whatever the node says (tests, and callers that chose already). */
export function fixedRuntime(runtime: ImageRuntime): NodePassPorts['runtimeFor'] {
  return () => ({ runtime });
}

export function reportFileOf(config: RunnerSection): string {
  return config.reportFile ?? `${config.stateDir.replace(/\/$/, '')}/last-run.json`;
}

export async function runNodePass(ports: NodePassPorts, options: NodePassOptions): Promise<RunReport> {
  const { cluster, logger, clock } = ports;
  const { config, nodeName, dryRun } = options;
  const report = newReport(nodeName, clock.now(), dryRun);
  let runtime: ImageRuntime | undefined;
  try {
    const desired = await collectDesired(
      cluster,
      { nodeName, ...config, handedSet: config.desiredSet },
      logger,
    );
    report.desired = {
      images: desired.images.length,
      ...desired.counts,
      malformed: desired.malformed,
      listFailures: desired.listFailures,
      invalidObjects: desired.invalidObjects,
    };
    const facts = nodeRuntimeFacts(desired.node);
    const choice = ports.runtimeFor(facts);
    runtime = choice.runtime;
    const runtimeProblem = await checkRuntime(report, runtime, choice.selection, facts, dryRun, logger);

    const offline = dryRun && options.checkRegistry !== true;
    const credentials = offline
      ? undefined
      : await pullCredentialsFor(
          cluster,
          desired,
          {
            readSecrets: config.readPullSecrets,
            ...(config.dockerConfig ? { dockerConfigFile: config.dockerConfig } : {}),
            ambient: ports.ambientCredentials,
          },
          logger,
        );
    if (credentials) report.secretProblems = credentials.problems;
    report.seed = await seedImages(
      desired.images,
      {
        runtime,
        resolverFor: (image) => {
          if (!credentials) throw new Error('internal error: registry used in an offline dry run');
          return ports.registryFor(credentials.keyFor(image), credentials.storeFor(image));
        },
        credentialsFor: (image) => credentials?.credentialsFor(image),
        logger,
        ...(ports.sleep ? { sleep: ports.sleep } : {}),
        ...(ports.random ? { random: ports.random } : {}),
      },
      {
        concurrency: config.pullConcurrency,
        pullTimeoutMs: config.pullTimeout,
        retries: config.pullRetries,
        minFreeBytes: config.minFreeBytes,
        dryRun,
        checkRegistry: !offline,
        ...(runtimeProblem !== undefined ? { runtimeUnavailable: runtimeProblem } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    // without a runtime (dry run only) there is nothing to record, prune or check on the node
    if (runtimeProblem === undefined) await nodeSteps(ports, options, report, runtime, desired.handed);
  } catch (error) {
    report.fatal = errorMessage(error);
    logger.error({ err: report.fatal }, 'runner pass stopped');
  } finally {
    runtime?.close?.();
  }
  finishReport(report, clock.now());
  await publishReport(
    report,
    { cluster, logger },
    {
      // a dry run changes nothing on the node unless a report file was asked for
      ...(dryRun ? (config.reportFile ? { file: config.reportFile } : {}) : { file: reportFileOf(config) }),
      event: config.events && !dryRun,
    },
  );
  return report;
}

/** After the seed: node state, then the prune and SELinux sections. */
async function nodeSteps(
  ports: NodePassPorts,
  options: NodePassOptions,
  report: RunReport,
  runtime: ImageRuntime,
  handed: HandedDesired | undefined,
): Promise<void> {
  const { cluster, logger, clock } = ports;
  const { config, nodeName, dryRun } = options;
  const seed = report.seed;
  if (!seed) return;

  if (!dryRun) {
    const { state, problem } = await loadNodeState(config.stateDir);
    if (problem) {
      report.stateProblem = problem;
      logger.warn({ problem }, 'node state unreadable; starting afresh');
    }
    await saveNodeState(config.stateDir, recordSeed(state, nodeName, seed, clock.now()));
  }

  // --- prune insertion point (runner/prune): `addSection(report, 'prune', await prune(...))` ---
  if (config.prune.enabled) {
    try {
      const { state } = await loadNodeState(config.stateDir);
      const pruned = await pruneSection(
        { runtime, logger, clock },
        {
          config: config.prune,
          state,
          desiredNow: seed.images.map((image) => image.reference),
          dryRun,
        },
      );
      addSection(report, 'prune', pruned.section);
      if (!dryRun && pruned.state !== state) await saveNodeState(config.stateDir, pruned.state);
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'prune step failed');
      addSection(report, 'prune', { ok: false, summary: { error: errorMessage(error) } });
    }
  }

  // --- selinux insertion point (runner/selinux): `addSection(report, 'selinux', await checkSelinux(...))` ---
  if (config.selinux.enabled) {
    try {
      addSection(
        report,
        'selinux',
        await selinuxSection(
          { cluster, runtime, logger, clock },
          {
            node: nodeName,
            config: config.selinux,
            dryRun,
            // handed a set, the step reads the namespaces and pods that came with it, not the API
            ...(handed ? { handedSet: { selinux: handed.selinux } } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          },
        ),
      );
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'selinux step failed');
      addSection(report, 'selinux', { ok: false, summary: { error: errorMessage(error) } });
    }
  }
}

/**
 * Asks the runtime who it is and compares it with the kubelet's. A runtime that cannot be the
 * kubelet's stops the pass; an unreachable one stops it too, except in a dry run, which goes
 * on with presence unknown (the returned problem).
 */
async function checkRuntime(
  report: RunReport,
  runtime: ImageRuntime,
  selection: RuntimeSelection | undefined,
  facts: NodeRuntimeFacts,
  dryRun: boolean,
  logger: Logger,
): Promise<string | undefined> {
  const where = selection ? { socket: selection.socket, reason: selection.reason } : {};
  let info: RuntimeInfo;
  try {
    info = await runtime.info();
  } catch (error) {
    if (!dryRun) throw error;
    const problem = errorMessage(error);
    report.runtime = {
      kind: selection?.adapter ?? 'unknown',
      version: '',
      ...where,
      ...(facts.containerRuntimeVersion ? { kubeletRuntime: facts.containerRuntimeVersion } : {}),
      warning: `runtime unreachable, image presence unknown: ${problem}`,
    };
    logger.warn({ ...where, err: problem }, 'runtime unreachable; planning with presence unknown');
    return problem;
  }
  const match = compareRuntimes(facts.containerRuntimeVersion, info);
  report.runtime = {
    kind: info.kind,
    name: info.name,
    version: info.version,
    ...where,
    ...(match.kubeletRuntime ? { kubeletRuntime: match.kubeletRuntime } : {}),
    ...(match.warning ? { warning: match.warning } : {}),
  };
  if (match.warning)
    logger.warn({ kubeletRuntime: match.kubeletRuntime, runtime: match.ours }, match.warning);
  if (match.error) throw new ConfigError(match.error);
  return undefined;
}
