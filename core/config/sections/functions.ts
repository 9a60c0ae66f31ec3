// Settings of the scheduled functions: inventory, policy, scan and notify.
import { z } from 'zod';
import { Duration, EmailAddress, HttpUrl, SecretRef } from '../common.ts';

export const ElasticsearchSource = z
  .object({
    node: HttpUrl.optional(),
    cloudId: z.string().optional(),
    apiKey: SecretRef.optional(),
    username: z.string().optional(),
    password: SecretRef.optional(),
    index: z.string().min(1).default('metricbeat-*,filebeat-*,logs-*'),
    requestTimeout: Duration.prefault(30_000),
    maxRetries: z.number().int().min(0).max(10).default(3),
    pageSize: z.number().int().min(1).max(10_000).default(1000),
    fields: z
      .object({
        timestamp: z.string().default('@timestamp'),
        host: z.string().default('host.name'),
        containerId: z.string().default('container.id'),
        imageName: z.string().default('container.image.name'),
        imageTag: z.string().default('container.image.tag'),
        imageDigest: z.string().default('container.image.hash.all'),
        labels: z.string().default('container.labels'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const InventorySection = z
  .object({
    source: z.enum(['elasticsearch', 'file']).default('file'),
    /** NDJSON export of container documents, for `source: file`. */
    file: z.string().default('examples/fleet.ndjson'),
    lookback: Duration.prefault('2h'),
    elasticsearch: ElasticsearchSource.optional(),
  })
  .strict();

export const OwnersSection = z
  .object({
    /** Container label keys tried in order (Beats dedots keys: both forms are tried). */
    labelKeys: z
      .array(z.string().min(1))
      .default(['owner', 'org.opencontainers.image.authors', 'maintainer']),
    /** Host name globs mapped to the host owner's address. */
    hosts: z.record(z.string(), EmailAddress).default({}),
    nivlheim: z
      .object({
        url: HttpUrl,
        apiKey: SecretRef,
        /** ownerGroup -> email address. */
        groups: z.record(z.string(), EmailAddress).default({}),
        requestTimeout: Duration.prefault(10_000),
      })
      .strict()
      .optional(),
    /** The last fallback, and where security findings go. */
    securityContact: EmailAddress.default('security@example.org'),
  })
  .strict();

export const PolicySection = z
  .object({
    /** Registries images may come from (host[:port]); empty means any. */
    approvedRegistries: z.array(z.string().min(1)).default([]),
    maxAgeDays: z.number().int().min(1).max(3650).default(30),
  })
  .strict();

export const Severity = z.enum(['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical']);

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

export const NotifySection = z
  .object({
    transport: z.enum(['outbox', 'smtp', 'ses']).default('outbox'),
    outboxDir: z.string().default('.imagewarden/outbox'),
    from: EmailAddress.default('imagewarden@example.org'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false),
        username: z.string().optional(),
        password: SecretRef.optional(),
        maxConnections: z.number().int().min(1).max(20).default(2),
      })
      .strict()
      .optional(),
    ses: z.object({ region: z.string().optional() }).strict().optional(),
    /** Messages per second, enforced by imagewarden (nodemailer 7+ does not throttle SES). */
    sendRate: z.number().positive().max(1000).default(1),
    reminderInterval: Duration.prefault('7d'),
    ack: z
      .object({
        /** Base URL of the ack handler (Lambda function URL or `imagewarden serve-ack`). */
        baseUrl: HttpUrl.default('http://127.0.0.1:8787'),
        hmacKey: SecretRef.optional(),
        defaultDays: z.number().int().min(1).default(90),
        maxDays: z.number().int().min(1).default(365),
        /** GitOps acknowledgements file. */
        file: z.string().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();
