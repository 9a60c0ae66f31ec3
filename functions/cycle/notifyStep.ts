// The notify step as the CLI (`imagewarden notify`, `imagewarden run`) and the notify Lambda
// both run it: bring in the node runners' SELinux findings (when a source is configured), then
// mail each recipient what is new for them. An unreadable SELinux index costs only the SELinux
// findings, never the other mail. One rule says whether the run was degraded, for both.
import { errorMessage } from '../../core/errors.ts';
import {
  type ImportResult,
  importSelinuxFindings,
  type SelinuxFindingSource,
} from '../notify/importSelinuxFindings.ts';
import { type NotifyOptions, type NotifyPorts, type NotifySummary, notify } from '../notify/notify.ts';

export type SelinuxImport =
  | { status: 'imported'; result: ImportResult }
  /** The index could not be read; `error` says why. */
  | { status: 'unread'; error: string }
  /** No SELinux findings source is configured. */
  | { status: 'off' }
  /** A dry run stores nothing, so it imports nothing either. */
  | { status: 'skipped' };

export interface NotifyStepResult {
  selinux: SelinuxImport;
  summary: NotifySummary;
  /**
   * True when the run left something undone: the SELinux findings could not be read completely
   * (unreadable index, invalid documents, an incomplete read), or a message is still pending,
   * failed or was refused.
   */
  degraded: boolean;
}

export async function notifyStep(
  ports: NotifyPorts & { selinux: () => Promise<SelinuxFindingSource | undefined> },
  options: NotifyOptions & { selinux: { lookbackMs: number; securityContact: string } },
): Promise<NotifyStepResult> {
  const { selinux: selinuxOptions, ...notifyOptions } = options;
  const selinux = await importSelinux(ports, selinuxOptions, options.dryRun === true);
  const summary = await notify(ports, notifyOptions);
  const selinuxIncomplete =
    selinux.status === 'unread' ||
    (selinux.status === 'imported' && (selinux.result.invalid > 0 || !selinux.result.complete));
  const degraded =
    selinuxIncomplete || summary.pending > 0 || summary.failed > 0 || summary.permanentFailures.length > 0;
  return { selinux, summary, degraded };
}

async function importSelinux(
  ports: NotifyPorts & { selinux: () => Promise<SelinuxFindingSource | undefined> },
  options: { lookbackMs: number; securityContact: string },
  dryRun: boolean,
): Promise<SelinuxImport> {
  try {
    const source = await ports.selinux();
    if (!source) return { status: 'off' };
    if (dryRun) return { status: 'skipped' };
    const result = await importSelinuxFindings(
      { source, store: ports.store, clock: ports.clock, logger: ports.logger },
      options,
    );
    return { status: 'imported', result };
  } catch (error) {
    ports.logger.warn({ err: errorMessage(error) }, 'selinux findings not read');
    return { status: 'unread', error: errorMessage(error) };
  }
}
