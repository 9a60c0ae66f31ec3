// The run report of one node pass: one summary log line, a JSON report file and a
// Kubernetes Event on the Node. Steps after the seed (prune, SELinux) add a named section
// with addSection(); a section that is not ok turns the exit status to 1.
import { writeFileAtomic } from '../core/atomic-file.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ClusterReader } from './cluster/ClusterReader.ts';
import type { DesiredResult } from './desired/collect-desired.ts';
import type { SeedResult } from './seed.ts';

export const EVENT_COMPONENT = 'imagewarden-runner';

/** A step's part of the report: `summary` figures go into the summary line as `<name>.<key>`. */
export interface ReportSection {
  ok: boolean;
  summary: Record<string, number | string | boolean>;
  details?: unknown;
}

export interface RunReport {
  version: 1;
  node: string;
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  dryRun: boolean;
  runtime?: {
    kind: string;
    /** The runtime's own name (containerd, cri-o, docker, podman). */
    name?: string;
    version: string;
    /** The socket talked to and why that runtime (runner.runtime, the node's runtime). */
    socket?: string;
    reason?: string;
    kubeletRuntime?: string;
    warning?: string;
  };
  /** A failure that stopped the pass (node unreadable, runtime down). */
  fatal?: string;
  desired?: {
    images: number;
    workloads: number;
    notSchedulable: number;
    ownedSkipped: number;
    inactiveSkipped: number;
    filtered: number;
    malformed: DesiredResult['malformed'];
    listFailures: DesiredResult['listFailures'];
    invalidObjects: DesiredResult['invalidObjects'];
  };
  secretProblems?: { secret: string; message: string }[];
  seed?: SeedResult;
  stateProblem?: string;
  sections: Record<string, ReportSection>;
  exitCode?: number;
}

export function newReport(node: string, startedAt: Date, dryRun: boolean): RunReport {
  return { version: 1, node, startedAt: startedAt.toISOString(), dryRun, sections: {} };
}

export function addSection(report: RunReport, name: string, section: ReportSection): void {
  report.sections[name] = section;
}

/** 0: every image from reachable registries is present (or planned) and every section ok; else 1. */
export function exitCodeOf(report: RunReport): number {
  if (report.fatal) return 1;
  const seed = report.seed;
  const seedOk =
    seed !== undefined &&
    seed.counts.failed === 0 &&
    seed.counts.skipped['low-disk'] === 0 &&
    seed.counts.skipped.aborted === 0;
  const listsOk = (report.desired?.listFailures.length ?? 0) === 0;
  return seedOk && listsOk && Object.values(report.sections).every((section) => section.ok) ? 0 : 1;
}

export function finishReport(report: RunReport, finishedAt: Date): RunReport {
  report.finishedAt = finishedAt.toISOString();
  report.seconds = Math.round((finishedAt.getTime() - Date.parse(report.startedAt)) / 10) / 100;
  report.exitCode = exitCodeOf(report);
  return report;
}

/** The fields of the one summary line. */
export function summaryFields(report: RunReport): Record<string, unknown> {
  const seed = report.seed;
  const fields: Record<string, unknown> = {
    node: report.node,
    dryRun: report.dryRun,
    desired: seed?.counts.desired ?? 0,
    present: seed?.counts.present ?? 0,
    pulled: seed?.counts.pulled ?? 0,
    planned: seed?.counts.planned ?? 0,
    failed: seed?.counts.failed ?? 0,
    skipped: seed?.counts.skipped ?? {},
    bytes: seed?.bytes ?? 0,
    seconds: report.seconds,
    malformedImages: report.desired?.malformed.length ?? 0,
    listFailures: report.desired?.listFailures.length ?? 0,
    secretProblems: report.secretProblems?.length ?? 0,
    exitCode: report.exitCode,
  };
  if (report.fatal) fields.fatal = report.fatal;
  for (const [name, section] of Object.entries(report.sections)) {
    for (const [key, value] of Object.entries(section.summary)) fields[`${name}.${key}`] = value;
  }
  return fields;
}

function eventMessage(report: RunReport): string {
  const s = report.seed?.counts;
  if (report.fatal) return `runner pass failed: ${report.fatal}`.slice(0, 1000);
  const skipped = s ? Object.entries(s.skipped).filter(([, n]) => n > 0) : [];
  const failedImages = (report.seed?.images ?? []).filter((image) => image.outcome === 'failed').slice(0, 5);
  return [
    `${s?.desired ?? 0} desired: ${s?.present ?? 0} present, ${s?.pulled ?? 0} pulled, ${s?.failed ?? 0} failed`,
    skipped.length > 0 ? `skipped ${skipped.map(([reason, n]) => `${n} ${reason}`).join(', ')}` : '',
    failedImages.length > 0
      ? `failed: ${failedImages.map((image) => `${image.reference} (${image.error})`).join('; ')}`
      : '',
  ]
    .filter(Boolean)
    .join('; ')
    .slice(0, 1000);
}

/** Writes the JSON file, records the Event on the Node and logs the summary; each failure is logged, not thrown. */
export async function publishReport(
  report: RunReport,
  ports: { cluster: ClusterReader | undefined; logger: Logger },
  options: { file?: string; event: boolean },
): Promise<void> {
  const { logger } = ports;
  if (options.file) {
    try {
      await writeFileAtomic(options.file, `${JSON.stringify(report, null, 2)}\n`, 0o644);
    } catch (error) {
      logger.error({ file: options.file, err: errorMessage(error) }, 'could not write the report file');
    }
  }
  if (options.event && ports.cluster) {
    const ok = report.exitCode === 0;
    try {
      await ports.cluster.createEvent({
        involvedObject: { kind: 'Node', name: report.node, apiVersion: 'v1' },
        namespace: 'default',
        reason: ok ? 'ImagesSeeded' : 'ImageSeedFailed',
        message: eventMessage(report),
        type: ok ? 'Normal' : 'Warning',
        component: EVENT_COMPONENT,
        host: report.node,
      });
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'could not record the Event on the Node');
    }
  }
  const level = report.exitCode === 0 ? 'info' : 'warn';
  logger[level](summaryFields(report), 'runner pass finished');
}
