// Schemas for what Clair v4 sends and accepts. Parsing is tolerant on purpose: unknown fields
// are dropped (newer claircore adds fields), missing maps default to empty, an invalid
// normalized_severity becomes Unknown, and one malformed vulnerability is skipped and counted
// rather than making the whole report unreadable.
import { z } from 'zod';
import { Severity } from '../../core/severity.ts';
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
  id: z.string().optional(),
  name: z.string(),
  version: z.string().default(''),
  kind: z.string().optional(),
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
  id: z.string().optional(),
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
  normalized_severity: Severity.catch('Unknown').default('Unknown'),
  // "" means no fix exists
  fixed_in_version: z
    .string()
    .nullish()
    .transform((v) => (v ? v : undefined)),
  package: z.object({ name: z.string(), version: z.string().default('') }).nullish(),
});
export type ClairVulnerability = z.infer<typeof ClairVulnerability>;

const RawVulnerabilityReport = z.object({
  manifest_hash: z.string(),
  packages: map(z.unknown()),
  vulnerabilities: map(z.unknown()),
  package_vulnerabilities: map(z.array(z.string()).catch([])),
});

export interface ParsedVulnerabilityReport {
  manifestHash: string;
  packages: number;
  vulnerabilities: DigestVulnerability[];
  /** Entries skipped because they did not fit the schema (logged, never fatal). */
  skipped: number;
}

/**
 * Reads a vulnerability report into (vulnerability, package) pairs through
 * package_vulnerabilities, falling back to the vulnerability's own `package` field.
 * Throws a ZodError only when the report itself is not an object with a manifest_hash.
 */
export function parseVulnerabilityReport(body: unknown): ParsedVulnerabilityReport {
  const raw = RawVulnerabilityReport.parse(body);
  let skipped = 0;
  const vulns = new Map<string, ClairVulnerability>();
  for (const [id, value] of Object.entries(raw.vulnerabilities)) {
    const parsed = ClairVulnerability.safeParse(value);
    if (parsed.success) vulns.set(id, parsed.data);
    else skipped++;
  }
  const packages = new Map<string, ClairPackage>();
  for (const [id, value] of Object.entries(raw.packages)) {
    const parsed = ClairPackage.safeParse(value);
    if (parsed.success) packages.set(id, parsed.data);
    else skipped++;
  }
  const out = new Map<string, DigestVulnerability>();
  const add = (v: ClairVulnerability, pkg: { name: string; version: string }): void => {
    const key = `${v.name}|${pkg.name}`;
    if (out.has(key)) return;
    out.set(key, {
      vulnerability: v.name,
      package: { name: pkg.name, version: pkg.version },
      severity: v.normalized_severity,
      ...(v.fixed_in_version === undefined ? {} : { fixedIn: v.fixed_in_version }),
      links: v.links,
      ...(v.description === undefined ? {} : { description: v.description }),
    });
  };
  const linked = new Set<string>();
  for (const [packageId, vulnIds] of Object.entries(raw.package_vulnerabilities)) {
    const pkg = packages.get(packageId);
    for (const vulnId of vulnIds) {
      const v = vulns.get(vulnId);
      if (!v) continue;
      const p = pkg ?? v.package;
      if (!p) continue;
      linked.add(vulnId);
      add(v, { name: p.name, version: p.version });
    }
  }
  for (const [id, v] of vulns) {
    if (!linked.has(id) && v.package) add(v, v.package);
  }
  return {
    manifestHash: raw.manifest_hash,
    packages: packages.size,
    vulnerabilities: [...out.values()].sort((a, b) =>
      `${a.vulnerability}|${a.package.name}`.localeCompare(`${b.vulnerability}|${b.package.name}`),
    ),
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
            fixed_in_version: z.string().nullish(),
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
