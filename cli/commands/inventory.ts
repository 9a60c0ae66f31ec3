// `imagewarden inventory`: build the in-use image inventory from Elasticsearch or an NDJSON
// export, run the policy checks, store both for the next steps, and print them.
import type { Command } from 'commander';
import { DAY_MS } from '../../core/clock.ts';
import { ConfigError } from '../../core/errors.ts';
import type { PolicyFinding } from '../../core/findings/Finding.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { inventoryStep } from '../../functions/cycle/inventoryStep.ts';
import type { InventoryResult } from '../../functions/inventory/buildInventory.ts';
import { inventoryFromConfig, parseSourceChoice } from '../../functions/inventory/fromConfig.ts';
import type { InventoryItem } from '../../functions/inventory/InventoryItem.ts';
import type { PolicyResult } from '../../functions/policy/checkPolicy.ts';
import { type CliContext, EXIT } from '../context.ts';
import { table } from '../output.ts';

interface InventoryFlags {
  config?: string;
  json?: boolean;
  source?: string;
  asOf?: string;
  offline?: boolean;
  store?: boolean;
}

function parseAsOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) {
    throw new ConfigError(
      `--as-of: expected an ISO time such as 2026-11-24T09:15:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return date;
}

function age(item: InventoryItem, now: Date): string {
  if (item.created === undefined) return 'unknown';
  const created = Date.parse(item.created);
  return Number.isNaN(created) ? 'unknown' : `${Math.floor((now.getTime() - created) / DAY_MS)}d`;
}

function printReadable(ctx: CliContext, inv: InventoryResult, policy: PolicyResult, now: Date): void {
  const { snapshot } = inv;
  ctx.stdout.write(`Inventory ${snapshot.window.from} .. ${snapshot.window.to}\n\n`);
  ctx.stdout.write(
    `${table([
      ['REPOSITORY', 'DIGEST', 'TAGS', 'HOSTS', 'CONTAINERS', 'AGE', 'OWNER', 'BY'],
      ...snapshot.items.map((i) => [
        i.repository,
        i.digest ? i.digest.slice(0, 19) : 'unresolved',
        i.tags.join(',') || '-',
        String(i.hosts.count),
        String(i.containers),
        age(i, now),
        i.owner.address,
        i.owner.rule,
      ]),
    ])}\n\n`,
  );
  if (policy.findings.length > 0) {
    ctx.stdout.write('Policy findings\n\n');
    ctx.stdout.write(
      `${table([
        ['RULE', 'REPOSITORY', 'RECIPIENT', 'DETAIL'],
        ...policy.findings.map((f: PolicyFinding) => [
          f.rule,
          f.repository,
          `${f.recipient.address} (${f.recipient.rule})`,
          f.detail,
        ]),
      ])}\n\n`,
    );
  } else {
    ctx.stdout.write('Policy findings: none\n\n');
  }
  const notes: string[] = [];
  for (const s of inv.invalid.sample) notes.push(`invalid image: ${s.image}: ${s.reason}`);
  for (const s of inv.skippedDocuments.sample) notes.push(`skipped document: ${s}`);
  for (const s of inv.unresolved.sample) notes.push(`unresolved: ${s.reference}: ${s.reason}`);
  for (const s of inv.ownerLabelsRejected.sample) {
    notes.push(`owner label rejected: ${s.repository} ${s.key}=${JSON.stringify(s.value)}: ${s.reason}`);
  }
  if (inv.partialShards) {
    notes.push(
      `partial results: ${inv.partialShards.failed} of ${inv.partialShards.total} shards failed: ${inv.partialShards.reasons.join('; ')}`,
    );
  }
  if (policy.ageUnknown.length > 0)
    notes.push(`unknown age (registry not asked or no created time): ${policy.ageUnknown.join(', ')}`);
  for (const u of policy.registryUnknown.slice(0, 10))
    notes.push(`registry presence unknown: ${u.repository}${u.digest ? `@${u.digest}` : ''}: ${u.reason}`);
  for (const p of inv.problems) notes.push(p);
  if (notes.length > 0) ctx.stdout.write(`${notes.map((n) => `note: ${n}`).join('\n')}\n\n`);
}

function summaryLine(inv: InventoryResult, policy: PolicyResult, stored: boolean): string {
  const c = inv.counts;
  const p = policy.counts;
  return (
    `inventory: ${c.items} images (${c.buckets} buckets, ${c.documents} reports, ${c.merged} merged), ` +
    `owners ${c.owners.label} by label / ${c.owners['host-owner']} by host / ${c.owners['security-contact']} security contact; ` +
    `policy: ${p['unapproved-registry']} unapproved registry, ${p['not-in-registry']} not in registry, ${p['stale-image']} stale, ${p['no-owner']} no owner, ${p.ageUnknown} unknown age, ${p.registryUnknown} registry unknown; ` +
    `failed: ${c.invalid} invalid images, ${c.skippedDocuments} skipped documents, ${c.unresolved} unresolved` +
    `${c.outsideWindow !== undefined ? `; ${c.outsideWindow} document${c.outsideWindow === 1 ? '' : 's'} outside the window` : ''}` +
    `${c.registriesDown > 0 ? ` (${c.registriesDown} registries unreachable)` : ''}` +
    `${inv.partialShards ? `, partial shards ${inv.partialShards.failed}/${inv.partialShards.total}` : ''}` +
    `${inv.problems.length > 0 ? `, ${inv.problems.length} lookup problems` : ''}; ${stored ? 'stored' : 'not stored'}\n`
  );
}

export function registerInventoryCommand(program: Command, ctx: CliContext): void {
  program
    .command('inventory')
    .description(
      'Build the in-use image inventory (unique images running in the lookback window) from ' +
        'Elasticsearch or an NDJSON export, resolve owners, run the policy checks, store the snapshot ' +
        'and findings in the state store, and print them. A file source without --as-of ends its window ' +
        'at the newest document. Exit 1 when documents or image strings were bad, shards failed or an ' +
        'owner directory failed; unreachable registries only make ages unknown.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--json', 'print the snapshot, counts and findings as JSON')
    .option(
      '--source <source>',
      'es (inventory.elasticsearch) or file:PATH (an NDJSON export) (default: inventory.source)',
    )
    .option('--as-of <time>', 're-run the window as of this ISO time (audits); implies --no-store')
    .option('--offline', 'ask no registry: tags stay unresolved, ages unknown')
    .option('--no-store', 'do not write the snapshot and findings to the state store')
    .action(async (flags: InventoryFlags) => {
      const { config } = ctx.loadConfig(flags.config);
      const { clock } = ctx;
      const logger = ctx.logger({ component: 'inventory' }, config.log.level);
      const asOf = parseAsOf(flags.asOf);
      const source = parseSourceChoice(flags.source, config);
      const { ports, options } = await inventoryFromConfig(config, {
        clock,
        logger,
        secrets: { env: ctx.env },
        source,
        ...(asOf ? { asOf } : {}),
        offline: flags.offline === true,
        signal: ctx.signal,
      });
      const store = flags.store !== false && asOf === undefined;
      const step = await inventoryStep(
        { ...ports, ...(store ? { store: createStateStore(config.state) } : {}) },
        { ...options, policy: config.policy },
      );
      const { inventory: inv, policy } = step;
      if (flags.json) {
        const { snapshot, ...report } = inv;
        ctx.stdout.write(
          `${JSON.stringify({ snapshot, report, policy: { counts: policy.counts, ageUnknown: policy.ageUnknown, registryUnknown: policy.registryUnknown, findings: policy.findings } }, null, 2)}\n`,
        );
      } else {
        printReadable(ctx, inv, policy, asOf ?? clock.now());
      }
      // with --json stdout holds only the JSON document; the summary goes to stderr
      (flags.json ? ctx.stderr : ctx.stdout).write(summaryLine(inv, policy, store));
      if (step.degraded) ctx.exitCode = EXIT.partial;
    });
}
