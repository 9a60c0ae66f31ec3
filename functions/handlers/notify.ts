// Lambda entry point, started by EventBridge Scheduler: import the node runners' SELinux
// findings (when notify.selinuxFindings is set), then the notify step: one digest email per
// recipient through SES, queued in the state store before sending so a timeout or throttle
// leaves the rest pending for the next run.
import './lib/install-source-maps.ts';
import { emitRunMetrics } from '../../core/metrics/emf.ts';
import { defaultSleep } from '../../core/retry.ts';
import { withCheckedSecrets } from '../../core/secrets-check.ts';
import { notifyStep } from '../cycle/notifyStep.ts';
import {
  fileAcksFromConfig,
  mailerFromConfig,
  notifyOptionsFromConfig,
  selinuxImportOptions,
  selinuxSourceFromConfig,
} from '../notify/fromConfig.ts';
import type { SelinuxFindingSource } from '../notify/importSelinuxFindings.ts';
import type { Mailer } from '../notify/Mailer.ts';
import { ScheduleEvent } from './lib/events.ts';
import {
  createRuntime,
  deadlineSignal,
  invocationLogger,
  type LambdaContext,
  once,
  type Runtime,
} from './lib/runtime.ts';

export interface NotifyHandlerDeps {
  runtime: () => Promise<Runtime>;
  mailer: (runtime: Runtime) => Promise<Mailer>;
  /** The runners' SELinux findings index; undefined when not configured. */
  selinux: (runtime: Runtime) => Promise<SelinuxFindingSource | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

export interface NotifyRunSummary {
  runId: string;
  /** SELinux findings read from the runners' index, or `unread` when that failed. */
  selinux: { read: number; stored: number; removed: number } | 'unread' | 'off';
  findings: number;
  composed: number;
  carriedOver: number;
  sent: number;
  pending: number;
  refused: number;
  /** Another notify run held the run lease: this invocation did nothing. */
  skipped?: 'another-run';
}

/**
 * The run id, which the Message-IDs derive from (stable per recipient and run id). A scheduled
 * run takes the firing's scheduled time, so Scheduler's retries of that firing reuse their
 * Message-IDs (the outbox sends none twice) while any other run, a manual one in the same
 * minute included, composes its own; a run started otherwise takes the minute it started in.
 */
export function notifyRunId(event: ScheduleEvent, now: Date): string {
  return event.scheduledTime
    ? `notify-scheduled-${event.scheduledTime}`
    : `notify-${now.toISOString().slice(0, 16)}`;
}

export function createNotifyHandler(deps: NotifyHandlerDeps) {
  return async (event: unknown, context?: LambdaContext): Promise<NotifyRunSummary> => {
    const runtime = await deps.runtime();
    const { config, store, clock, secrets } = runtime;
    const logger = invocationLogger(runtime, context);
    const input = ScheduleEvent.safeParse(event ?? {});
    const now = clock.now();
    const runId = notifyRunId(input.success ? input.data : {}, now);
    const mailer = await deps.mailer(runtime);
    // unsent messages stay pending in the state store for the next run
    const deadline = deadlineSignal(context, 20_000);
    try {
      const step = await notifyStep(
        {
          store,
          mailer,
          clock,
          logger,
          sleep: deps.sleep ?? defaultSleep,
          fileAcks: await fileAcksFromConfig(config, now),
          selinux: () => deps.selinux(runtime),
          ...(deadline.signal ? { signal: deadline.signal } : {}),
        },
        {
          ...(await notifyOptionsFromConfig(config, runId, secrets)),
          selinux: selinuxImportOptions(config),
        },
      );
      const { summary, selinux } = step;
      const result: NotifyRunSummary = {
        runId,
        selinux:
          selinux.status === 'imported'
            ? { read: selinux.result.read, stored: selinux.result.stored, removed: selinux.result.removed }
            : selinux.status === 'unread'
              ? 'unread'
              : 'off',
        findings: summary.findings,
        composed: summary.composed,
        carriedOver: summary.carriedOver,
        sent: summary.sent,
        pending: summary.pending,
        refused: summary.permanentFailures.length,
        ...(summary.skipped ? { skipped: summary.skipped } : {}),
      };
      logger[step.degraded ? 'warn' : 'info'](
        { ...result, job: input.success ? input.data.job : undefined },
        'notify run finished',
      );
      emitRunMetrics(result, { functionName: runtime.env.AWS_LAMBDA_FUNCTION_NAME, succeeded: true });
      return result;
    } finally {
      deadline.dispose();
      await mailer.close();
    }
  };
}

const runtime = once(() => withCheckedSecrets('notify', createRuntime(process.env, 'notify')));

export const handler = createNotifyHandler({
  runtime,
  mailer: (rt) => mailerFromConfig(rt.config, rt.secrets),
  selinux: (rt) => selinuxSourceFromConfig(rt.config, rt.secrets),
});
