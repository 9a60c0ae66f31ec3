// What the scan step stores per in-use digest (StateStore collection `scan-results`, key =
// the inventory digest), written as soon as that digest is done so a crash loses nothing.
import { z } from 'zod';
import { Severity } from '../../core/severity.ts';

export const SCAN_RESULTS = 'scan-results';

export const DigestVulnerability = z.object({
  vulnerability: z.string(),
  package: z.object({ name: z.string(), version: z.string() }),
  severity: Severity,
  /** undefined when no fix exists. */
  fixedIn: z.string().optional(),
  links: z.array(z.string()),
  description: z.string().optional(),
});
export type DigestVulnerability = z.infer<typeof DigestVulnerability>;

/**
 * scanned: report read; pending: Clair has no vulnerability data yet (202); failed: an error
 * to retry next run; rejected: Clair cannot index this image (400, e.g. no layers), a problem
 * of the image; throttled: Clair kept answering 429.
 */
export const ScanStatus = z.enum(['scanned', 'pending', 'failed', 'rejected', 'throttled']);
export type ScanStatus = z.infer<typeof ScanStatus>;

export const ScanSummary = z.object({
  packages: z.number().int().nonnegative(),
  vulnerabilities: z.number().int().nonnegative(),
  fixable: z.number().int().nonnegative(),
  bySeverity: z.partialRecord(Severity, z.number().int().nonnegative()),
  /** Report entries skipped because they did not fit the schema. */
  skipped: z.number().int().nonnegative(),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

export const ScanResult = z.object({
  digest: z.string(),
  repository: z.string(),
  status: ScanStatus,
  /** The platform manifest Clair indexed (differs from `digest` when that is an index). */
  manifestHash: z.string().optional(),
  indexDigest: z.string().optional(),
  /** The indexer state ETag when it was last indexed; a different current state means re-index. */
  indexState: z.string().optional(),
  indexedAt: z.string().optional(),
  reportFetchedAt: z.string().optional(),
  /** From the report's Cache-Control max-age: no need to fetch it again before this. */
  reportExpiresAt: z.string().optional(),
  summary: ScanSummary.optional(),
  /** The last report read; kept through later failures so findings do not flap. */
  vulnerabilities: z.array(DigestVulnerability).default([]),
  error: z.string().optional(),
  /** Scan attempts since the last successful one, this one included. */
  attempts: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type ScanResult = z.infer<typeof ScanResult>;

export function summarize(
  vulnerabilities: readonly DigestVulnerability[],
  packages: number,
  skipped: number,
): ScanSummary {
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const v of vulnerabilities) bySeverity[v.severity] = (bySeverity[v.severity] ?? 0) + 1;
  return {
    packages,
    vulnerabilities: vulnerabilities.length,
    fixable: vulnerabilities.filter((v) => v.fixedIn !== undefined).length,
    bySeverity,
    skipped,
  };
}
