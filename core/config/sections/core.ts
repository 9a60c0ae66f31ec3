// Settings every part uses: logging, where state lives, how the registry is reached.
import { z } from 'zod';
import { Duration } from '../common.ts';

export const LogSection = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const StateSection = z
  .object({
    /** `file` keeps JSON files under `dir` (local default); `dynamodb` uses one table (AWS). */
    backend: z.enum(['file', 'dynamodb']).default('file'),
    dir: z.string().min(1).default('.imagewarden/state'),
    table: z.string().min(3).default('imagewarden-state'),
    region: z.string().optional(),
    /** Override for tests and local DynamoDB (dynalite). */
    endpoint: z.string().optional(),
  })
  .strict();

export const RegistrySection = z
  .object({
    /** Platform picked from multi-arch indexes. */
    platform: z
      .object({
        os: z.string().default('linux'),
        architecture: z.string().default('amd64'),
        variant: z.string().optional(),
      })
      .strict()
      .prefault({}),
    /** A Docker config.json holding `auths` (for registries that need credentials). */
    dockerConfig: z.string().optional(),
    /** Registries spoken to over plain http (host:port), e.g. a loopback test registry. */
    insecure: z.array(z.string()).default([]),
    pingTimeout: Duration.prefault(3000),
    requestTimeout: Duration.prefault(30_000),
    retries: z.number().int().min(0).max(10).default(3),
    concurrency: z.number().int().min(1).max(64).default(8),
  })
  .strict();
