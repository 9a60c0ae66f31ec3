// Settings of the scan step (Clair v4), the notifier webhook and the alerting filters.
import { z } from 'zod';
import { Severity } from '../../severity.ts';
import { Duration, httpUrl, SecretRef } from '../common.ts';

export const ScanSection = z
  .object({
    clair: z
      .object({
        url: httpUrl('`psk`').describe(
          'Base URL of Clair (combined mode, or a proxy routing /indexer, /matcher, /notifier).',
        ),
        psk: SecretRef.optional().describe(
          "Clair's PSK auth key (base64, as in Clair's config) as a secret reference; requests then carry an HS256 JWT.",
        ),
        issuer: z
          .string()
          .default('imagewarden')
          .describe("JWT issuer we sign as; must be in Clair's accepted issuers."),
        indexTimeout: Duration.prefault('10m').describe(
          'Timeout of one synchronous index POST (big images take minutes).',
        ),
        requestTimeout: Duration.prefault(30_000).describe('Timeout of every other Clair call.'),
        retries: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(2)
          .describe(
            'Extra attempts per Clair call on 5xx and timeouts (jittered backoff); 429 is handled by the driver.',
          ),
      })
      .strict()
      .optional(),
    reports: z
      .object({
        dir: z
          .string()
          .min(1)
          .describe(
            'Directory of Clair v4 vulnerability reports exported elsewhere, one JSON file per manifest digest (`sha256:<hex>.json` or `sha256-<hex>.json`); used instead of scan.clair (air-gapped sites, the demo).',
          ),
      })
      .strict()
      .optional(),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('Digests scanned at once; halved on 429 and recovered after successes, never above this.'),
    minSeverity: Severity.default('High').describe(
      'Lowest normalized severity alerted (filterForAlerting); lower findings are stored, not mailed.',
    ),
    fixableOnly: z
      .boolean()
      .default(true)
      .describe('Alert only findings with a fixed version; unfixed ones stay in the stored report.'),
    throttleRetries: z
      .number()
      .int()
      .min(0)
      .max(50)
      .default(8)
      .describe('How often one digest is put back after a 429 before it is left for the next run.'),
    notReadyRetries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(2)
      .describe('How often a not-ready (202) vulnerability report is retried within a run.'),
    notReadyDelay: Duration.prefault('30s').describe('Wait before retrying a not-ready (202) report.'),
    webhook: z
      .object({
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(8089)
          .describe('Port of `imagewarden serve-webhook`.'),
        issuers: z
          .array(z.string())
          .default(['clair-notifier'])
          .describe("Issuers accepted on the notifier's JWT when scan.clair.psk is set."),
        pageSize: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .default(500)
          .describe('page_size used when fetching notifications.'),
      })
      .strict()
      .prefault({})
      .describe('The Clair notifier webhook receiver.'),
  })
  .strict()
  .superRefine((scan, ctx) => {
    if (scan.clair && scan.reports)
      ctx.addIssue({
        code: 'custom',
        path: ['reports', 'dir'],
        message: 'set scan.clair.url or scan.reports.dir, not both (one scanner per cycle)',
      });
  });
export type ScanSection = z.infer<typeof ScanSection>;
