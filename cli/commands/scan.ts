// `imagewarden scan [--json]`: scan every in-use digest of the latest inventory with Clair v4;
// `imagewarden serve-webhook [--port]`: receive Clair notifier webhooks locally.
import type { Command } from 'commander';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { scanStep } from '../../functions/cycle/scanStep.ts';
import {
  clairPsk,
  clairScannerFromConfig,
  scanOptionsFromConfig,
  scanPortsFromConfig,
} from '../../functions/scan/fromConfig.ts';
import { startWebhookServer } from '../../functions/scan/webhookServer.ts';
import { type CliContext, EXIT } from '../context.ts';
import { progress } from '../progress.ts';

export function registerScanCommands(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description(
      'Index every in-use image digest of the latest inventory with Clair v4 and store its ' +
        'vulnerability findings (unfiltered; alerting filters apply in `notify`). Digests Clair already ' +
        'indexed under its current state are not indexed again. Exit 1 when some digest failed or Clair ' +
        'kept throttling (they are retried next run); images Clair refuses (e.g. no layers) are listed.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--json', 'print the run result as JSON')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = ctx.loadConfig(options.config);
      const logger = ctx.logger({ component: 'scan' }, config.log.level);
      const store = createStateStore(config.state);
      const ports = await scanPortsFromConfig(config, {
        secrets: { env: ctx.env },
        logger,
        store,
        clock: ctx.clock,
      });
      const counter = progress(ctx.stderr, 'scan', 'digests');
      const step = await scanStep(ports, {
        ...scanOptionsFromConfig(config),
        signal: ctx.signal,
        onProgress: counter.update,
      }).finally(() => counter.end());
      if (step.status === 'no-inventory') {
        ctx.stderr.write(
          'imagewarden scan: no inventory snapshot in the state store; run the inventory step first\n',
        );
        ctx.exitCode = EXIT.partial;
        return;
      }
      const { result } = step;
      const summary =
        `scan: ${result.digests} digests (${result.unresolved} unresolved items skipped): ${result.scanned} scanned ` +
        `(${result.indexed} indexed, ${result.cached} reports still fresh), ${result.pending} not ready, ` +
        `${result.rejected} refused by Clair, ${result.failed} failed, ${result.throttled} throttled ` +
        `(${result.throttles} 429s, concurrency down to ${result.minConcurrency}); ${result.findings} findings ` +
        `stored, ${result.findingsRemoved} resolved\n`;
      if (options.json) {
        // stdout holds only the JSON document; the summary line goes to stderr
        ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        ctx.stderr.write(summary);
      } else {
        ctx.stdout.write(summary);
        for (const p of result.problems)
          ctx.stdout.write(`${p.status}\t${p.repository}@${p.digest}\t${p.reason}\n`);
      }
      if (step.degraded) ctx.exitCode = EXIT.partial;
    });

  program
    .command('serve-webhook')
    .description(
      'Receive Clair notifier webhooks (POST {notification_id, callback}) until interrupted: answer 200, ' +
        'then page through the notification, mark affected in-use images for re-notification and delete it. ' +
        "Verifies Clair's JWT when scan.clair.psk is set.",
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (default: scan.webhook.port)', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(async (options: { config?: string; port?: number; host: string }) => {
      const { config } = ctx.loadConfig(options.config);
      const logger = ctx.logger({ component: 'clair-webhook' }, config.log.level);
      const secrets = { env: ctx.env };
      const psk = await clairPsk(config, secrets);
      const server = await startWebhookServer(
        {
          scanner: await clairScannerFromConfig(config, { secrets, logger }),
          store: createStateStore(config.state),
          clock: ctx.clock,
          logger,
        },
        {
          ...(psk ? { psk } : {}),
          issuers: config.scan.webhook.issuers,
          pageSize: config.scan.webhook.pageSize,
          port: options.port ?? config.scan.webhook.port,
          host: options.host,
        },
      );
      ctx.stderr.write(`listening for Clair notifications on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
    });
}
