// `imagewarden findings list`: the open findings the steps stored (vulnerabilities from scan,
// policy breaches from inventory, SELinux problems from the runners), read from the same state
// store `notify` reads, filtered by owner, severity and kind. A table for people; with --json a
// JSON array on stdout and nothing else (the summary line goes to stderr), for scripts.
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import type { Finding } from '../../core/findings/Finding.ts';
import { SEVERITY_RANK, Severity } from '../../core/severity.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { loadOpenFindings } from '../../functions/notify/loadFindings.ts';
import { extractEmail } from '../../functions/owners/email.ts';
import { fixedVersion } from '../../functions/scan/fixedVersion.ts';
import { type CliContext, EXIT } from '../context.ts';

export const FINDING_KINDS = ['vulnerability', 'policy', 'selinux'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

interface ListFlags {
  config?: string;
  json?: boolean;
  owner?: string;
  severity?: string;
  minSeverity?: string;
  kind?: string;
}

export interface FindingFilter {
  owner?: string;
  severities?: Severity[];
  minSeverity?: Severity;
  kinds?: FindingKind[];
}

/** One finding as --json prints it: the same keys for every kind, null where a kind has none. */
export interface FindingRow {
  kind: FindingKind;
  key: string;
  repository: string;
  /** The image the finding is about (its repository; SELinux: the cluster/namespace or node). */
  image: string;
  /** The first running digest; all of them in `digests`. */
  digest: string | null;
  digests: string[];
  owner: string;
  ownerRule: string;
  severity: Severity;
  vulnerability: string | null;
  package: string | null;
  version: string | null;
  fixedIn: string | null;
  rule: string | null;
  check: string | null;
  title: string;
  detail: string | null;
  firstSeen: string;
  hosts: number;
  containers: number;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

function parseSeverity(flag: string, value: string): Severity {
  const found = Severity.options.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw new ConfigError(
      `${flag}: unknown severity ${JSON.stringify(value)}; expected one of ${Severity.options.join(', ')}`,
    );
  }
  return found;
}

function parseKind(value: string): FindingKind {
  const found = FINDING_KINDS.find((k) => k === value.toLowerCase());
  if (!found) {
    throw new ConfigError(
      `--kind: unknown kind ${JSON.stringify(value)}; expected one of ${FINDING_KINDS.join(', ')}`,
    );
  }
  return found;
}

/** The flags as a filter; a bad value is a usage error naming it (exit 2). */
export function parseFilter(flags: Omit<ListFlags, 'config' | 'json'>): FindingFilter {
  const filter: FindingFilter = {};
  if (flags.owner !== undefined) {
    const email = extractEmail(flags.owner);
    if (!email.ok) throw new ConfigError(`--owner: ${JSON.stringify(flags.owner)} ${email.reason}`);
    filter.owner = email.address.toLowerCase();
  }
  if (flags.severity !== undefined) {
    const values = list(flags.severity);
    if (values.length === 0) throw new ConfigError('--severity: expected a severity, got ""');
    filter.severities = values.map((v) => parseSeverity('--severity', v));
  }
  if (flags.minSeverity !== undefined)
    filter.minSeverity = parseSeverity('--min-severity', flags.minSeverity);
  if (flags.kind !== undefined) {
    const values = list(flags.kind);
    if (values.length === 0) throw new ConfigError('--kind: expected a kind, got ""');
    filter.kinds = values.map(parseKind);
  }
  return filter;
}

export function matches(finding: Finding, filter: FindingFilter): boolean {
  if (filter.owner !== undefined && finding.recipient.address.toLowerCase() !== filter.owner) return false;
  if (filter.severities && !filter.severities.includes(finding.severity)) return false;
  if (filter.minSeverity && SEVERITY_RANK[finding.severity] < SEVERITY_RANK[filter.minSeverity]) return false;
  if (filter.kinds && !filter.kinds.includes(finding.kind)) return false;
  return true;
}

export function toRow(f: Finding): FindingRow {
  return {
    kind: f.kind,
    key: f.key,
    repository: f.repository,
    image: f.repository,
    digest: f.digests[0] ?? null,
    digests: [...f.digests],
    owner: f.recipient.address,
    ownerRule: f.recipient.rule,
    severity: f.severity,
    vulnerability: f.kind === 'vulnerability' ? f.vulnerability : null,
    package: f.kind === 'vulnerability' ? f.package.name : null,
    version: f.kind === 'vulnerability' ? f.package.version : null,
    // stored findings may predate the parsing of Clair's OSV range form
    fixedIn: f.kind === 'vulnerability' ? (fixedVersion(f.fixedIn) ?? null) : null,
    rule: f.kind === 'policy' ? f.rule : null,
    check: f.kind === 'selinux' ? f.check : null,
    title: f.title,
    detail: f.kind === 'vulnerability' ? null : f.detail,
    firstSeen: f.detectedAt,
    hosts: f.where.hostCount,
    containers: f.where.containers,
  };
}

/** Worst first, then by image and key, so the same store always lists the same way. */
function order(a: FindingRow, b: FindingRow): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.repository.localeCompare(b.repository) ||
    a.key.localeCompare(b.key)
  );
}

function what(r: FindingRow): string {
  if (r.kind === 'vulnerability')
    return `${r.vulnerability} ${r.package} ${r.version} -> ${r.fixedIn ?? 'no fix yet'}`;
  if (r.kind === 'policy') return `${r.rule}: ${r.detail}`;
  return `${r.check}: ${r.detail}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
};

export function registerFindingsCommands(program: Command, ctx: CliContext): void {
  const findings = program
    .command('findings')
    .description('Look at the findings the inventory, scan and runner steps stored.');
  findings
    .command('list')
    .description(
      'List the open findings in the state store (the ones notify mails about, before its alert ' +
        'filters): vulnerabilities (Clair), policy breaches and SELinux problems, worst first. ' +
        'Filters combine with AND. With --json, stdout is one JSON array (kind, key, repository, ' +
        'image, digest, owner, severity, vulnerability, package, version, fixedIn, rule, check, title, ' +
        'detail, firstSeen, hosts, containers; null where a kind has no such field) and the summary ' +
        'line goes to stderr. Exit 1 when stored records failed the schema (they are skipped and ' +
        'counted), 2 on a bad filter value.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--json', 'print a JSON array of findings on stdout, the summary on stderr')
    .option('--owner <address>', 'only findings mailed to this address (case-insensitive)')
    .option(
      '--severity <severity>',
      `only these severities, comma-separated: ${Severity.options.join(', ')} (case-insensitive)`,
    )
    .option('--min-severity <severity>', 'only findings at least this severe')
    .option('--kind <kind>', `only these kinds, comma-separated: ${FINDING_KINDS.join(', ')}`)
    .action(async (flags: ListFlags) => {
      // bad filter values fail before any config or store is read
      const filter = parseFilter(flags);
      const { config } = ctx.loadConfig(flags.config);
      const logger = ctx.logger({ component: 'findings' }, config.log.level);
      const { findings: stored, invalid } = await loadOpenFindings(createStateStore(config.state), logger);
      const rows = stored
        .filter((f) => matches(f, filter))
        .map(toRow)
        .sort(order);
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else if (rows.length === 0) {
        ctx.stdout.write('No findings.\n');
      } else {
        ctx.stdout.write(
          `${table([
            ['SEVERITY', 'KIND', 'IMAGE', 'OWNER', 'FIRST SEEN', 'WHAT'],
            ...rows.map((r) => [
              r.severity,
              r.kind,
              r.image,
              r.owner,
              r.firstSeen.slice(0, 10),
              oneLine(what(r), 160),
            ]),
          ])}\n`,
        );
      }
      const byKind = FINDING_KINDS.map((k) => `${rows.filter((r) => r.kind === k).length} ${k}`).join(', ');
      ctx.stderr.write(
        `findings: ${rows.length} listed (${byKind}) of ${stored.length} stored` +
          `${invalid > 0 ? `; ${invalid} stored records failed the schema and were skipped` : ''}\n`,
      );
      if (invalid > 0) ctx.exitCode = EXIT.partial;
    });
}
