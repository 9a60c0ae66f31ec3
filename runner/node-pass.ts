// One runner pass on one node: runtime check -> desired set -> seed -> state -> [prune] ->
// [selinux] -> report. Steps after the seed plug in at the marked insertion points, each
// adding a report section with addSection(). The report is published even when a step
// fails or the pass is aborted (SIGTERM).
import type { Clock } from '../core/clock.ts';
import type { RunnerSection } from '../core/config/sections/runner.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialStore } from '../core/registry/credentials.ts';
import type { ClusterReader } from './cluster/ClusterReader.ts';
import { collectDesired } from './desired/collect-desired.ts';
import { pullCredentialsFor } from './desired/pull-credentials-for.ts';
import { pruneSection } from './prune/prune-section.ts';
import { addSection, finishReport, newReport, publishReport, type RunReport } from './report.ts';
import type { ImageRuntime } from './runtime/ImageRuntime.ts';
import { compareRuntimes } from './runtime/runtime-detection.ts';
import { type DigestResolver, seedImages } from './seed.ts';
import { selinuxSection } from './selinux/selinux-section.ts';
import { loadNodeState, recordSeed, saveNodeState } from './state.ts';

export interface NodePassPorts {
  cluster: ClusterReader;
  runtime: ImageRuntime;
  /** A registry client for one credential set; `key` names the set so callers can cache. */
  registryFor(key: string, credentials: CredentialStore): DigestResolver;
  logger: Logger;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface NodePassOptions {
  nodeName: string;
  config: RunnerSection;
  dryRun: boolean;
  signal?: AbortSignal;
}

export function reportFileOf(config: RunnerSection): string {
  return config.reportFile ?? `${config.stateDir.replace(/\/$/, '')}/last-run.json`;
}

export async function runNodePass(ports: NodePassPorts, options: NodePassOptions): Promise<RunReport> {
  const { cluster, runtime, logger, clock } = ports;
  const { config, nodeName, dryRun } = options;
  const report = newReport(nodeName, clock.now(), dryRun);
  try {
    const info = await runtime.info();
    const desired = await collectDesired(
      cluster,
      { nodeName, ...config, handedSet: config.desiredSet },
      logger,
    );
    const match = compareRuntimes(desired.node.status?.nodeInfo?.containerRuntimeVersion, info.kind);
    report.runtime = {
      kind: info.kind,
      version: info.version,
      ...(match.kubeletRuntime ? { kubeletRuntime: match.kubeletRuntime } : {}),
      ...(match.warning ? { warning: match.warning } : {}),
    };
    if (match.warning)
      logger.warn({ kubeletRuntime: match.kubeletRuntime, runtime: info.kind }, match.warning);
    report.desired = {
      images: desired.images.length,
      ...desired.counts,
      malformed: desired.malformed,
      listFailures: desired.listFailures,
      invalidObjects: desired.invalidObjects,
    };

    const credentials = await pullCredentialsFor(
      cluster,
      desired,
      {
        readSecrets: config.readPullSecrets,
        ...(config.dockerConfig ? { dockerConfigFile: config.dockerConfig } : {}),
      },
      logger,
    );
    report.secretProblems = credentials.problems;
    report.seed = await seedImages(
      desired.images,
      {
        runtime,
        resolverFor: (image) => ports.registryFor(credentials.keyFor(image), credentials.storeFor(image)),
        credentialsFor: (image) => credentials.credentialsFor(image),
        logger,
        ...(ports.sleep ? { sleep: ports.sleep } : {}),
        ...(ports.random ? { random: ports.random } : {}),
      },
      {
        concurrency: config.pullConcurrency,
        pullTimeoutMs: config.pullTimeout,
        retries: config.pullRetries,
        minFreeBytes: config.minFreeBytes,
        imageStorePath: config.imageStorePath,
        dryRun,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );

    if (!dryRun) {
      const { state, problem } = await loadNodeState(config.stateDir);
      if (problem) {
        report.stateProblem = problem;
        logger.warn({ problem }, 'node state unreadable; starting afresh');
      }
      await saveNodeState(config.stateDir, recordSeed(state, nodeName, report.seed, clock.now()));
    }

    // --- prune insertion point (runner/prune): `addSection(report, 'prune', await prune(...))` ---
    if (config.prune.enabled) {
      try {
        const { state } = await loadNodeState(config.stateDir);
        const pruned = await pruneSection(
          { runtime, logger, clock },
          {
            config: config.prune,
            imageStorePath: config.imageStorePath,
            state,
            desiredNow: (report.seed?.images ?? []).map((image) => image.reference),
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
              ...(options.signal ? { signal: options.signal } : {}),
            },
          ),
        );
      } catch (error) {
        logger.error({ err: errorMessage(error) }, 'selinux step failed');
        addSection(report, 'selinux', { ok: false, summary: { error: errorMessage(error) } });
      }
    }
  } catch (error) {
    report.fatal = errorMessage(error);
    logger.error({ err: report.fatal }, 'runner pass stopped');
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
