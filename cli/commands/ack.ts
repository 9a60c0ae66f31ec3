// `imagewarden ack add|list|revoke`: acknowledgements recorded in the state store. Acks in the
// GitOps file are listed too, and changed by editing the file.
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { ValidationError } from '../../core/errors.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { Ack, AckScope, ackExpiry, describeScope } from '../../functions/acks/Ack.ts';
import { listStoredAcks, recordAck, revokeAck } from '../../functions/acks/AckStore.ts';
import { newTokenId } from '../../functions/acks/token.ts';
import { expiryPolicy, fileAcksFromConfig } from '../../functions/notify/fromConfig.ts';
import type { CliContext } from '../context.ts';
import { tsvLine } from '../output.ts';

interface AddOptions {
  config?: string;
  repository?: string;
  digest?: string;
  vulnerability?: string;
  rule?: string;
  package?: string;
  reason: string;
  author?: string;
  expires?: string;
  days?: string;
  untilFixed?: boolean;
}

function stateOf(ack: Ack, now: Date): string {
  if (ack.revokedAt !== undefined) return 'revoked';
  return Date.parse(ack.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

export function registerAckCommands(program: Command, ctx: CliContext): void {
  const ack = program
    .command('ack')
    .description('Acknowledge findings so imagewarden stops mailing about them until expiry.');
  ack
    .command('add')
    .description(
      'Record an acknowledgement: --repository or --digest, plus --vulnerability (optionally --package) ' +
        'or --rule (unapproved-registry, not-in-registry, stale-image, no-owner). Expires after notify.ack.defaultDays.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--repository <domain/path>', 'repository the finding is in, e.g. harbor.example.org/team/app')
    .option('--digest <sha256:...>', 'one image digest instead of the whole repository')
    .option('--vulnerability <id>', 'vulnerability id, e.g. CVE-2024-3094')
    .option('--package <name>', 'with --vulnerability: only this package')
    .option('--rule <rule>', 'policy rule: unapproved-registry, not-in-registry, stale-image or no-owner')
    .requiredOption('--reason <text>', 'why this is acceptable for now')
    .option('--author <who>', 'who acknowledges (default: $USER)')
    .option('--expires <date>', 'expiry date (YYYY-MM-DD or ISO time; at most notify.ack.maxDays away)')
    .option('--days <n>', 'expiry in days from now (default: notify.ack.defaultDays)')
    .option('--until-fixed', 'record that no fix exists yet: alert again as soon as one is available')
    .action(async (options: AddOptions) => {
      const { config } = ctx.loadConfig(options.config);
      const now = systemClock.now();
      const scope = AckScope.safeParse({
        repository: options.repository,
        digest: options.digest,
        vulnerability: options.vulnerability,
        rule: options.rule,
        package: options.package,
      });
      if (!scope.success) {
        throw new ValidationError(
          'ack add',
          scope.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '),
        );
      }
      const requested = options.expires
        ? new Date(options.expires)
        : options.days
          ? new Date(now.getTime() + Number(options.days) * 86_400_000)
          : undefined;
      let expiresAt: Date;
      try {
        expiresAt = ackExpiry(now, requested, expiryPolicy(config));
      } catch (error) {
        throw new ValidationError('ack add --expires', (error as Error).message, { cause: error });
      }
      const record = Ack.parse({
        id: `cli-${newTokenId()}`,
        scope: scope.data,
        reason: options.reason,
        author: options.author ?? ctx.env.USER ?? 'cli',
        source: 'cli',
        createdAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        ...(options.untilFixed ? { fixAvailable: false } : {}),
      });
      await recordAck(createStateStore(config.state), record);
      ctx.stdout.write(
        `${record.id}\tacknowledged ${describeScope(record.scope)} until ${record.expiresAt.slice(0, 10)}\n`,
      );
    });

  ack
    .command('list')
    .description('List acknowledgements from the acks file and the state store, with their state.')
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--all', 'include expired and revoked ones')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; all?: boolean; json?: boolean }) => {
      const { config } = ctx.loadConfig(options.config);
      const now = systemClock.now();
      const stored = await listStoredAcks(createStateStore(config.state));
      const acks = [...(await fileAcksFromConfig(config, now)), ...stored.acks].filter(
        (a) => options.all || stateOf(a, now) === 'active',
      );
      if (options.json) {
        ctx.stdout.write(
          `${JSON.stringify(
            acks.map((a) => ({ ...a, state: stateOf(a, now) })),
            null,
            2,
          )}\n`,
        );
      }
      for (const a of options.json ? [] : acks) {
        ctx.stdout.write(
          tsvLine([
            a.id,
            stateOf(a, now),
            a.expiresAt.slice(0, 10),
            a.source,
            describeScope(a.scope),
            a.author,
            a.reason,
          ]),
        );
      }
      ctx.stderr.write(
        `${acks.length} acknowledgement(s)${stored.invalid > 0 ? `, ${stored.invalid} invalid stored` : ''}\n`,
      );
    });

  ack
    .command('revoke <id>')
    .description('Revoke a stored acknowledgement (the finding alerts again on the next notify run).')
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--by <who>', 'who revokes (default: $USER)')
    .action(async (id: string, options: { config?: string; by?: string }) => {
      const { config } = ctx.loadConfig(options.config);
      const revoked = await revokeAck(
        createStateStore(config.state),
        id,
        options.by ?? ctx.env.USER ?? 'cli',
        systemClock.now(),
      );
      ctx.stdout.write(tsvLine([revoked.id, `revoked ${describeScope(revoked.scope)}`]));
    });
}
