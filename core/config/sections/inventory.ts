// Settings of the inventory step (where container metadata comes from).
import { z } from 'zod';
import { Duration, httpUrl, SecretRef } from '../common.ts';

export const ElasticsearchSource = z
  .object({
    node: httpUrl('`apiKey` (or `username` + `password`)')
      .optional()
      .describe('Elasticsearch URL (8.x servers), e.g. https://es.example.org:9200.'),
    cloudId: z.string().optional().describe('Elastic Cloud id, instead of `node`.'),
    apiKey: SecretRef.optional().describe('API key (secret reference), the preferred auth.'),
    username: z.string().optional().describe('Basic auth user (with `password`).'),
    password: SecretRef.optional().describe('Basic auth password (secret reference).'),
    index: z
      .string()
      .min(1)
      .default('metricbeat-*,filebeat-*,logs-*')
      .describe('Index pattern(s) holding container documents, comma separated.'),
    requestTimeout: Duration.prefault(30_000).describe('Timeout of one search request.'),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe('Retries of a search after 429, 5xx, timeouts or dropped connections (jittered backoff).'),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(1000)
      .describe('Unique images per composite-aggregation page; bounds memory whatever the fleet size.'),
    fields: z
      .object({
        timestamp: z.string().default('@timestamp').describe('Report time field (a date).'),
        host: z.string().default('host.name').describe('Host name field (keyword).'),
        containerId: z.string().default('container.id').describe('Container id field (keyword).'),
        imageName: z
          .string()
          .default('container.image.name')
          .describe('Image reference field as the runtime reports it (keyword).'),
        imageTag: z
          .string()
          .default('container.image.tag')
          .describe('Image tag field (keyword, may be an array).'),
        imageDigest: z
          .string()
          .default('container.image.hash.all')
          .describe('Image digest field (keyword array of sha256:...; `container.image.hash` in older ECS).'),
        labels: z
          .string()
          .default('container.labels')
          .describe('Object holding container labels (keyword values).'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const InventorySection = z
  .object({
    source: z
      .enum(['elasticsearch', 'file'])
      .default('file')
      .describe('Where container metadata comes from: Elasticsearch or an NDJSON export (`inventory.file`).'),
    file: z
      .string()
      .default('examples/fleet.ndjson')
      .describe(
        'NDJSON export of container documents for `source: file`; without --as-of its window ends at the newest document.',
      ),
    imageMetadataFile: z
      .string()
      .optional()
      .describe(
        'JSON file of image metadata (tag -> digest, build time) used instead of asking the registries: for sites that export it and for the demo (examples/demo/image-metadata.json).',
      ),
    lookback: Duration.prefault('2h').describe('Window of reports that count as running.'),
    elasticsearch: ElasticsearchSource.optional().describe(
      'Elasticsearch connection, for `source: elasticsearch`.',
    ),
  })
  .strict();
export type InventorySection = z.infer<typeof InventorySection>;
