// The Elasticsearch request that builds the inventory: documents of the window, grouped by a
// composite aggregation over (image name, digest) with sub-aggregations for everything an
// InventoryItem needs, and the schema of its response. Only unique images cross the wire.
import { z } from 'zod';
import type { FieldMapping } from './InventorySource.ts';

export const SAMPLE_HOSTS = 10;
export const MAX_TAGS = 10;
export const MAX_LABEL_VALUES = 5;

export interface CompositeRequestParams {
  index: string;
  fields: FieldMapping;
  labelKeys: readonly string[];
  lookbackMs: number;
  asOf?: Date;
  pageSize: number;
  after?: Record<string, string | null>;
}

/** The range on the timestamp: ES date math relative to its own clock, or absolute for --as-of. */
export function timeRange(lookbackMs: number, asOf?: Date): { gte: string; lte: string } {
  if (asOf) return { gte: new Date(asOf.getTime() - lookbackMs).toISOString(), lte: asOf.toISOString() };
  return { gte: `now-${Math.max(1, Math.round(lookbackMs / 1000))}s`, lte: 'now' };
}

export function compositeRequest(params: CompositeRequestParams) {
  const { fields } = params;
  const labelAggs = Object.fromEntries(
    params.labelKeys.map((key, i) => [
      `label_${i}`,
      { terms: { field: `${fields.labels}.${key}`, size: MAX_LABEL_VALUES } },
    ]),
  );
  return {
    index: params.index,
    size: 0,
    track_total_hits: false,
    query: {
      bool: { filter: [{ range: { [fields.timestamp]: timeRange(params.lookbackMs, params.asOf) } }] },
    },
    aggs: {
      images: {
        composite: {
          size: params.pageSize,
          sources: [
            { image: { terms: { field: fields.imageName, missing_bucket: true } } },
            { digest: { terms: { field: fields.imageDigest, missing_bucket: true } } },
          ],
          ...(params.after ? { after: params.after } : {}),
        },
        aggs: {
          hosts: { cardinality: { field: fields.host } },
          sample_hosts: { terms: { field: fields.host, size: SAMPLE_HOSTS } },
          containers: { cardinality: { field: fields.containerId } },
          tags: { terms: { field: fields.imageTag, size: MAX_TAGS } },
          first_seen: { min: { field: fields.timestamp } },
          last_seen: { max: { field: fields.timestamp } },
          ...labelAggs,
        },
      },
    },
  };
}

const TermsAgg = z.object({
  buckets: z.array(z.object({ key: z.union([z.string(), z.number()]), doc_count: z.number() })),
});
const ValueAgg = z.object({ value: z.number().nullable() });

export const CompositeBucket = z.looseObject({
  key: z.object({ image: z.string().nullable(), digest: z.string().nullable() }),
  doc_count: z.number().int().nonnegative(),
  hosts: ValueAgg,
  sample_hosts: TermsAgg,
  containers: ValueAgg,
  tags: TermsAgg,
  first_seen: ValueAgg,
  last_seen: ValueAgg,
});
export type CompositeBucket = z.infer<typeof CompositeBucket>;

export const LabelTerms = TermsAgg;

export const ShardsInfo = z.object({
  total: z.number(),
  successful: z.number(),
  failed: z.number(),
  failures: z
    .array(
      z.looseObject({
        index: z.string().optional(),
        reason: z.looseObject({ type: z.string(), reason: z.string().optional() }),
      }),
    )
    .optional(),
});

export const CompositeResponse = z.object({
  timed_out: z.boolean().optional(),
  _shards: ShardsInfo,
  aggregations: z
    .object({
      images: z.object({
        after_key: z.record(z.string(), z.string().nullable()).optional(),
        buckets: z.array(CompositeBucket),
      }),
    })
    .optional(),
});
export type CompositeResponse = z.infer<typeof CompositeResponse>;
