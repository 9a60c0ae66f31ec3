// Settings of the inventory step (where container metadata comes from).
import { z } from 'zod';
import { Duration, HttpUrl, SecretRef } from '../common.ts';

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
