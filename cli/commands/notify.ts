// `imagewarden notify [--dry-run]` (mail owners what is new for them) and `imagewarden
// serve-ack` (the acknowledgement link handler on a local port).
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { defaultSleep } from '../../core/retry.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { storedRecipientCheck } from '../../functions/acks/recipients.ts';
import { startAckServer } from '../../functions/acks/server.ts';
import { notifyStep } from '../../functions/cycle/notifyStep.ts';
import {
  expiryPolicy,
  fileAcksFromConfig,
  hmacKeyFromConfig,
  mailerFromConfig,
  notifyOptionsFromConfig,
  selinuxImportOptions,
  selinuxSourceFromConfig,
} from '../../functions/notify/fromConfig.ts';
import { type CliContext, EXIT } from '../context.ts';
import { progress } from '../progress.ts';

export function registerNotifyCommands(program: Command, ctx: CliContext): void {
  program
    .command('notify')
    .description(
      'Email each recipient one digest of findings that are new to them, newly fixable, escalated, ' +
        'or due for a reminder. Messages are queued in the state store before sending; unsent ones are ' +
        'retried on the next run, sent ones never again. Exit 1 when any message is left pending or refused.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--dry-run', 'print who would get what; queue, send and record nothing')
    .option('--print-text', 'with --dry-run: also print each message text')
    .option(
      '--run-id <id>',
      'run identity; Message-IDs are stable per (recipient, run id) (default: the current minute)',
    )
    .action(async (options: { config?: string; dryRun?: boolean; printText?: boolean; runId?: string }) => {
      const { config } = ctx.loadConfig(options.config);
      const logger = ctx.logger({ component: 'notify' }, config.log.level);
      const now = ctx.clock.now();
      const runId = options.runId ?? `notify-${now.toISOString().slice(0, 16)}`;
      const secrets = { env: ctx.env };
      const store = createStateStore(config.state);
      const mailer = await mailerFromConfig(config, secrets);
      try {
        const counter = progress(ctx.stderr, 'notify', 'messages sent');
        const step = await notifyStep(
          {
            store,
            mailer,
            clock: ctx.clock,
            logger,
            sleep: defaultSleep,
            fileAcks: await fileAcksFromConfig(config, now),
            signal: ctx.signal,
            selinux: () => selinuxSourceFromConfig(config, secrets),
          },
          {
            ...(await notifyOptionsFromConfig(config, runId, secrets)),
            dryRun: options.dryRun === true,
            selinux: selinuxImportOptions(config),
            onProgress: counter.update,
          },
        ).finally(() => counter.end());
        const { summary, selinux } = step;
        if (summary.skipped) {
          ctx.stderr.write('notify: another notify run holds the run lease; this run did nothing\n');
          return;
        }
        if (selinux.status === 'imported') {
          const imported = selinux.result;
          ctx.stdout.write(
            `selinux findings: ${imported.read} read, ${imported.stored} open, ${imported.removed} resolved` +
              `${imported.invalid > 0 ? `, ${imported.invalid} invalid documents` : ''}` +
              `${imported.complete ? '' : ' (incomplete read: none resolved)'}\n`,
          );
        } else if (selinux.status === 'unread') {
          ctx.stderr.write(`imagewarden: selinux findings not read: ${selinux.error}\n`);
        }
        if (options.dryRun) {
          for (const message of summary.messages) {
            ctx.stdout.write(`${message.to}\t${message.findings.length} findings\t${message.subject}\n`);
            if (options.printText) ctx.stdout.write(`${message.text}\n`);
          }
        }
        const { plan } = summary;
        ctx.stdout.write(
          `notify${options.dryRun ? ' (dry run)' : ''}: ${summary.findings} open findings ` +
            `(${summary.filtered.belowSeverity} below scan.minSeverity, ${summary.filtered.unfixable} without a fix not alerted), ` +
            `${plan.planned} to tell ` +
            `(${plan.byReason.new} new, ${plan.byReason.fixable} newly fixable, ${plan.byReason.escalated} escalated, ` +
            `${plan.byReason['ack-expired']} ack ended, ${plan.byReason.reminder} reminders), ${plan.acknowledged} acknowledged, ` +
            `${plan.unchanged} unchanged; ${summary.composed} messages composed, ${summary.carriedOver} carried over; ` +
            `sent ${summary.sent}, pending ${summary.pending}, refused ${summary.permanentFailures.length}` +
            `${summary.busy > 0 ? `, ${summary.busy} being sent by another run` : ''}` +
            `${summary.invalidFindings > 0 ? `, ${summary.invalidFindings} invalid stored findings` : ''}\n`,
        );
        if (!options.dryRun && summary.composed === 0 && summary.carriedOver === 0)
          ctx.stdout.write(`${nothingSentReason(summary.findings, plan)}\n`);
        for (const failure of summary.permanentFailures) {
          ctx.stderr.write(
            `refused: ${failure.to}: ${failure.error}${failure.routedTo ? ` (routed to ${failure.routedTo})` : ''}\n`,
          );
        }
        if (step.degraded) ctx.exitCode = EXIT.partial;
      } finally {
        await mailer.close();
      }
    });

  program
    .command('serve-ack')
    .description(
      'Serve the acknowledgement links of emails on a local port (in AWS: the Lambda function URL). ' +
        'GET shows a confirmation page; only the page button (POST) records the acknowledgement.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('-p, --port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { config?: string; port: string; host: string }) => {
      const { config } = ctx.loadConfig(options.config);
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ConfigError(`--port: not a port: ${options.port}`);
      const hmacKey = await hmacKeyFromConfig(config, { env: ctx.env });
      if (!hmacKey) throw new ConfigError('notify.ack.hmacKey is required to verify acknowledgement links');
      const store = createStateStore(config.state);
      const logger = ctx.logger({ component: 'serve-ack' }, config.log.level);
      const server = await startAckServer(
        {
          store,
          hmacKey,
          clock: ctx.clock,
          policy: expiryPolicy(config),
          isRecipient: storedRecipientCheck(store, config.owners.securityContact),
          logger,
        },
        { port, host: options.host },
      );
      ctx.stderr.write(`serving acknowledgement links on ${server.url}/ack (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
    });
}

/** Why a run sent nothing, in words a first-time reader follows. */
export function nothingSentReason(
  open: number,
  plan: { planned: number; unchanged: number; acknowledged: number },
): string {
  if (open === 0) return 'notify: nothing sent: there are no open findings';
  if (plan.planned > 0) return 'notify: nothing sent this run (see the counts above)';
  const parts = [
    `${plan.unchanged} already sent and unchanged since`,
    ...(plan.acknowledged > 0 ? [`${plan.acknowledged} acknowledged`] : []),
  ];
  return (
    `notify: nothing new to send: of the alerted findings, ${parts.join(', ')}; a finding is mailed again ` +
    'only when it is new, becomes fixable, escalates, its acknowledgement ends or a reminder is due'
  );
}
