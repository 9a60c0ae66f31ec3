// Schemas for what Clair v4 sends and accepts. Parsing is tolerant on purpose: unknown fields
// are dropped (newer claircore adds fields), missing maps default to empty, an invalid
// normalized_severity becomes Unknown, and one malformed vulnerability is skipped and counted
// rather than making the whole report unreadable.
import { z } from 'zod';
import { SEVERITY_RANK, Severity } from '../../core/severity.ts';
import { fixedVersion } from './fixedVersion.ts';
import type { DigestVulnerability } from './ScanResult.ts';

/** What we POST to /indexer/api/v1/index_report. */
export const ClairManifest = z.object({
  hash: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  layers: z.array(
    z.object({
      hash: z.string().regex(/^sha256:[a-f0-9]{64}$/),
      uri: z.string().url(),
      headers: z.record(z.string(), z.array(z.string())),
      media_type: z.string().optional(),
    }),
  ),
});
export type ClairManifest = z.infer<typeof ClairManifest>;

export const IndexState = z.enum([
  'CheckManifest',
  'FetchLayers',
  'ScanLayers',
  'Coalesce',
  'IndexManifest',
  'IndexError',
  'IndexFinished',
]);

const map = <T extends z.ZodType>(value: T) =>
  z
    .record(z.string(), value)
    .nullish()
    .transform((m) => m ?? {});

export const ClairPackage = z.object({
  id: z.string().nullish(),
  name: z.string().min(1),
  // Clair omits or nulls the version of some packages (e.g. a source package); "" then
  version: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  kind: z.string().nullish(),
});
export type ClairPackage = z.infer<typeof ClairPackage>;

export const IndexReport = z.object({
  manifest_hash: z.string(),
  // a state this code does not know yet is kept as a string, not refused
  state: z.union([IndexState, z.string()]),
  success: z.boolean().default(false),
  err: z.string().default(''),
  packages: map(z.unknown()),
});
export type IndexReport = z.infer<typeof IndexReport>;

export const ClairErrorBody = z.object({ code: z.string().optional(), message: z.string().optional() });

export const IndexStateBody = z.object({ state: z.string() });

/** Vulnerability descriptions can be pages long; we keep the start. */
export const MAX_DESCRIPTION = 2000;

export const ClairVulnerability = z.object({
  id: z.string().nullish(),
  name: z.string().min(1),
  description: z
    .string()
    .nullish()
    .transform((d) =>
      d ? (d.length > MAX_DESCRIPTION ? `${d.slice(0, MAX_DESCRIPTION)}...` : d) : undefined,
    ),
  links: z
    .string()
    .nullish()
    .transform((l) => (l ?? '').split(/\s+/).filter((s) => s.length > 0)),
  severity: z.string().nullish(),
  normalized_severity: Severity.nullish()
    .catch('Unknown')
    .transform((s) => s ?? 'Unknown'),
  // "" means no fix; the OSV updater writes a range query string (see fixedVersion.ts)
  fixed_in_version: z
    .string()
    .nullish()
    .catch(undefined)
    .transform((v) => fixedVersion(v)),
});
export type ClairVulnerability = z.infer<typeof ClairVulnerability>;

// distributions, repository, environments and enrichments are read by nobody here: they are
// accepted in whatever shape Clair sends (maps, null, absent) and dropped.
const RawVulnerabilityReport = z.object({
  manifest_hash: z.string(),
  packages: map(z.unknown()),
  vulnerabilities: map(z.unknown()),
  package_vulnerabilities: map(z.array(z.string()).nullish().catch([])),
});

export interface ParsedVulnerabilityReport {
  manifestHash: string;
  packages: number;
  vulnerabilities: DigestVulnerability[];
  /** Entries skipped because they did not fit the schema (logged, never fatal). */
  skipped: number;
}

const pairKey = (v: DigestVulnerability): string =>
  `${v.vulnerability}\u0000${v.package.name}\u0000${v.package.version}`;

/** Two vulnerability entries of one name on one package (two updaters): keep the worst, and a fix. */
function combine(a: DigestVulnerability, b: DigestVulnerability): DigestVulnerability {
  const worse = SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] ? b : a;
  const fixedIn = a.fixedIn ?? b.fixedIn;
  const description = a.description ?? b.description;
  return {
    ...worse,
    ...(fixedIn === undefined ? {} : { fixedIn }),
    links: [...new Set([...a.links, ...b.links])],
    ...(description === undefined ? {} : { description }),
  };
}

/**
 * Reads a vulnerability report into findings: exactly the (package, vulnerability) pairs that
 * `package_vulnerabilities` lists, with name and version from `packages[id]`. A vulnerability
 * no package links (Clair also reports "not vulnerable" matches that way) is not a finding, and
 * the vulnerability's own `package` field (the updater's affected-package pattern, often with
 * an empty version) is never used in place of the package. Links to a package or
 * vulnerability the report does not contain, or that does not parse, are counted as skipped.
 * Throws a ZodError only when the report itself is not an object with a manifest_hash.
 */
export function parseVulnerabilityReport(body: unknown): ParsedVulnerabilityReport {
  const raw = RawVulnerabilityReport.parse(body);
  let skipped = 0;
  const vulns = new Map<string, ClairVulnerability | undefined>();
  for (const [id, value] of Object.entries(raw.vulnerabilities)) {
    const parsed = ClairVulnerability.safeParse(value);
    vulns.set(id, parsed.success ? parsed.data : undefined);
    if (!parsed.success) skipped++;
  }
  const packages = new Map<string, ClairPackage | undefined>();
  for (const [id, value] of Object.entries(raw.packages)) {
    const parsed = ClairPackage.safeParse(value);
    packages.set(id, parsed.success ? parsed.data : undefined);
    if (!parsed.success) skipped++;
  }
  const out = new Map<string, DigestVulnerability>();
  for (const [packageId, vulnIds] of Object.entries(raw.package_vulnerabilities)) {
    const pkg = packages.get(packageId);
    if (!pkg) {
      // unparseable packages were counted above; a link to no package at all is counted here
      if (!packages.has(packageId) && (vulnIds ?? []).length > 0) skipped++;
      continue;
    }
    for (const vulnId of new Set(vulnIds ?? [])) {
      const v = vulns.get(vulnId);
      if (!v) {
        if (!vulns.has(vulnId)) skipped++;
        continue;
      }
      const pair: DigestVulnerability = {
        vulnerability: v.name,
        package: { name: pkg.name, version: pkg.version },
        severity: v.normalized_severity,
        ...(v.fixed_in_version === undefined ? {} : { fixedIn: v.fixed_in_version }),
        links: v.links,
        ...(v.description === undefined ? {} : { description: v.description }),
      };
      const key = pairKey(pair);
      const existing = out.get(key);
      out.set(key, existing ? combine(existing, pair) : pair);
    }
  }
  return {
    manifestHash: raw.manifest_hash,
    packages: [...packages.values()].filter((p) => p !== undefined).length,
    vulnerabilities: [...out.values()].sort((a, b) => pairKey(a).localeCompare(pairKey(b))),
    skipped,
  };
}

export const NotificationPage = z.object({
  page: z
    .object({ size: z.number().optional(), next: z.string().nullish() })
    .nullish()
    .transform((p) => p ?? {}),
  notifications: z
    .array(
      z.object({
        id: z.string().optional(),
        manifest: z.string(),
        reason: z.string().optional(),
        vulnerability: z
          .object({
            name: z.string().optional(),
            normalized_severity: Severity.catch('Unknown').optional(),
            fixed_in_version: z
              .string()
              .nullish()
              .transform((v) => fixedVersion(v)),
          })
          .nullish(),
      }),
    )
    .nullish()
    .transform((n) => n ?? []),
});
export type NotificationPage = z.infer<typeof NotificationPage>;

/** The notifier's webhook body. */
/** Clair's notifier issues UUIDs; anything else must not reach a notifier URL path (`..`). */
const NOTIFICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const NotifierWebhookBody = z.object({
  notification_id: z.string().regex(NOTIFICATION_ID, 'notification_id is not a UUID'),
  callback: z.string().url(),
});
export type NotifierWebhookBody = z.infer<typeof NotifierWebhookBody>;
