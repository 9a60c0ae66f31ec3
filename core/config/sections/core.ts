// Settings every part uses: logging, where state lives, how the registry is reached.
import { z } from 'zod';
import { errorMessage } from '../../errors.ts';
import { readCaBundle } from '../../registry/caBundle.ts';
import { Duration, HttpUrl } from '../common.ts';

export const LogSection = z
  .object({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Log level of the JSON logs (written to stderr).'),
  })
  .strict();

export const StateSection = z
  .object({
    backend: z
      .enum(['file', 'dynamodb'])
      .default('file')
      .describe(
        '`file` keeps JSON files under `state.dir` (local default); `dynamodb` uses one table (AWS).',
      ),
    dir: z.string().min(1).default('.imagewarden/state').describe('Directory of the file state store.'),
    table: z
      .string()
      .min(3)
      .default('imagewarden-state')
      .describe('DynamoDB table of the dynamodb state store.'),
    region: z.string().optional().describe('AWS region of the table (default: the SDK default chain).'),
    endpoint: z.string().optional().describe('DynamoDB endpoint override (local DynamoDB, tests).'),
  })
  .strict();

export const RegistrySection = z
  .object({
    platform: z
      .object({
        os: z.string().default('linux').describe('Platform OS picked from multi-arch indexes.'),
        architecture: z
          .string()
          .default('amd64')
          .describe('Platform architecture picked from multi-arch indexes.'),
        variant: z.string().optional().describe('Platform variant (e.g. v8 for arm64), when it matters.'),
      })
      .strict()
      .prefault({}),
    dockerConfig: z
      .string()
      .optional()
      .describe(
        'A Docker config.json (or dockerconfigjson) holding `auths` for registries that need credentials.',
      ),
    insecure: z
      .array(z.string())
      .default([])
      .describe('Registries (host:port) spoken to over plain http, e.g. a loopback test registry.'),
    caFile: z
      .string()
      .min(1)
      .superRefine((path, ctx) => {
        // checked at load time, so a wrong path fails the start, not the first registry call
        try {
          readCaBundle(path);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: errorMessage(error) });
        }
      })
      .optional()
      .describe(
        "A PEM bundle of private CAs trusted for registries' TLS, on top of the default ones (the registry client only).",
      ),
    ecr: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Registry credentials for Amazon ECR hosts (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, recognised by name; region from the host) from GetAuthorizationToken with the IAM identity of the node, pod or function. Credentials from `dockerConfig` or pull secrets for the same host win.',
          ),
        endpoint: HttpUrl.optional().describe(
          'ECR API endpoint override, e.g. a VPC interface endpoint (default: the regional endpoint).',
        ),
        refreshBefore: Duration.prefault(300_000).describe(
          'Ask for a new token this long before the current one expires (tokens last 12 hours).',
        ),
        hosts: z
          .record(z.string(), z.string())
          .default({})
          .describe(
            'More registry hosts served by ECR under another name (an alias or proxy): host -> region.',
          ),
      })
      .strict()
      .prefault({}),
    pingTimeout: Duration.prefault(3000).describe('Timeout of the /v2/ reachability check.'),
    requestTimeout: Duration.prefault(30_000).describe('Timeout of one registry request.'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe('Retries on 429/5xx/timeouts, with backoff and jitter.'),
    concurrency: z.number().int().min(1).max(64).default(8).describe('Registry requests in flight at once.'),
  })
  .strict();
export type LogSection = z.infer<typeof LogSection>;
export type StateSection = z.infer<typeof StateSection>;
export type RegistrySection = z.infer<typeof RegistrySection>;
