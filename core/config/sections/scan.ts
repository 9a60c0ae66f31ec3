// Settings of the scan step (Clair v4) and the alerting filters.
import { z } from 'zod';
import { Severity } from '../../severity.ts';
import { Duration, HttpUrl, SecretRef } from '../common.ts';

export const ScanSection = z
  .object({
    clair: z
      .object({
        url: HttpUrl,
        psk: SecretRef.optional(),
        issuer: z.string().default('imagewarden'),
        indexTimeout: Duration.prefault('10m'),
        requestTimeout: Duration.prefault(30_000),
      })
      .strict()
      .optional(),
    concurrency: z.number().int().min(1).max(64).default(4),
    minSeverity: Severity.default('High'),
    fixableOnly: z.boolean().default(true),
  })
  .strict();
