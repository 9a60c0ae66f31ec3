// The report of the last cycle, as data: what `imagewarden report --json` prints, what the HTML
// page renders and what is kept to tell "what changed since the previous cycle". Built from the
// stored state only (inventory snapshot, open findings, acknowledgements, runner reports).
import { z } from 'zod';
import { Severity } from '../../core/severity.ts';

export const ReportImage = z.object({
  repository: z.string(),
  digest: z.string().optional(),
  tags: z.array(z.string()),
  hosts: z.number().int().nonnegative(),
  sampleHosts: z.array(z.string()),
  containers: z.number().int().nonnegative(),
  /** Days since the image config's `created`, undefined when unknown. */
  ageDays: z.number().int().optional(),
  created: z.string().optional(),
  ownerRule: z.string(),
  findings: z.number().int().nonnegative(),
});
export type ReportImage = z.infer<typeof ReportImage>;

export const ReportOwner = z.object({ owner: z.string(), images: z.array(ReportImage) });
export type ReportOwner = z.infer<typeof ReportOwner>;

export const ReportVulnerability = z.object({
  vulnerability: z.string(),
  severity: Severity,
  package: z.string(),
  versions: z.array(z.string()),
  fixedIn: z.string().optional(),
  link: z.string().optional(),
  images: z.array(z.object({ repository: z.string(), owner: z.string(), acknowledged: z.boolean() })),
});
export type ReportVulnerability = z.infer<typeof ReportVulnerability>;

export const ReportPolicy = z.object({
  rule: z.string(),
  repository: z.string(),
  owner: z.string(),
  detail: z.string(),
  remedy: z.string(),
  acknowledged: z.boolean(),
});
export type ReportPolicy = z.infer<typeof ReportPolicy>;

export const ReportSelinux = z.object({
  check: z.string(),
  where: z.string(),
  severity: Severity,
  detail: z.string(),
  owner: z.string(),
});

export const ReportAck = z.object({
  covers: z.string(),
  reason: z.string(),
  author: z.string(),
  source: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type ReportAck = z.infer<typeof ReportAck>;

export const ReportRunner = z.object({
  node: z.string(),
  finishedAt: z.string().optional(),
  ok: z.boolean(),
  summary: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  fatal: z.string().optional(),
});
export type ReportRunner = z.infer<typeof ReportRunner>;

export const ReportChanges = z.object({
  /** Set when there is an earlier cycle to compare with. */
  since: z.string().optional(),
  newFindings: z.array(z.string()),
  resolvedFindings: z.array(z.string()),
  newImages: z.array(z.string()),
  goneImages: z.array(z.string()),
});
export type ReportChanges = z.infer<typeof ReportChanges>;

export const ReportModel = z.object({
  version: z.literal(1),
  generatedAt: z.string(),
  /** The inventory snapshot this report is about (one cycle). */
  cycle: z.object({ takenAt: z.string(), window: z.object({ from: z.string(), to: z.string() }) }),
  totals: z.object({
    images: z.number().int(),
    hosts: z.number().int(),
    owners: z.number().int(),
    findingsBySeverity: z.record(z.string(), z.number().int()),
    policy: z.number().int(),
    selinux: z.number().int(),
    acknowledged: z.number().int(),
  }),
  owners: z.array(ReportOwner),
  vulnerabilities: z.array(ReportVulnerability),
  policy: z.array(ReportPolicy),
  selinux: z.array(ReportSelinux),
  acks: z.array(ReportAck),
  changes: ReportChanges,
  runners: z.array(ReportRunner),
  /** Finding keys of this cycle, kept so the next report can say what changed. */
  findingKeys: z.array(z.string()),
  imageKeys: z.array(z.string()),
  /** Lines the reader should know (sample data, unreadable records). */
  notes: z.array(z.string()),
});
export type ReportModel = z.infer<typeof ReportModel>;
