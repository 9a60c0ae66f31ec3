// The Elasticsearch requests that build the inventory, and the schema of their responses.
// `container.image.hash.all` is multi-valued, and a terms source over a multi-valued keyword
// field puts a document in one bucket per value: grouping by (image name, digest) would count
// a document listing two digests twice, and a digest reported under two names (`nginx`,
// `docker.io/library/nginx`) in two buckets whose host counts cannot be added. So:
//   1. `digestRequest`: documents with a valid digest, one composite bucket per digest value,
//      the name variants, the digests listed beside it (`co_digests`, to group aliases) and one
//      sample document's digest list (its order says which digest is first) as sub-aggregations;
//   2. `nameRequest`: documents with no valid digest, one bucket per image name;
//   3. `groupRequest`: when the digests of one image are not all listed in every document, one
//      plain aggregation over exactly those documents for distinct counts (rare).
// Only unique images cross the wire, never documents.
import { z } from 'zod';
import { VALID_DIGEST_LUCENE } from './digests.ts';
import type { FieldMapping } from './InventorySource.ts';

export const SAMPLE_HOSTS = 10;
export const MAX_TAGS = 10;
export const MAX_LABEL_VALUES = 5;
export const MAX_NAMES = 10;
/** Digests listed beside one digest; more than this many aliases of one image is not expected. */
export const MAX_CO_DIGESTS = 20;

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

/** The sub-aggregations an image needs, over whatever documents its bucket holds. */
export function imageAggs(fields: FieldMapping, labelKeys: readonly string[]) {
  const labelAggs = Object.fromEntries(
    labelKeys.map((key, i) => [
      `label_${i}`,
      { terms: { field: `${fields.labels}.${key}`, size: MAX_LABEL_VALUES } },
    ]),
  );
  return {
    hosts: { cardinality: { field: fields.host } },
    sample_hosts: { terms: { field: fields.host, size: SAMPLE_HOSTS } },
    containers: { cardinality: { field: fields.containerId } },
    tags: { terms: { field: fields.imageTag, size: MAX_TAGS } },
    names: { terms: { field: fields.imageName, size: MAX_NAMES } },
    co_digests: { terms: { field: fields.imageDigest, size: MAX_CO_DIGESTS } },
    first_seen: { min: { field: fields.timestamp } },
    last_seen: { max: { field: fields.timestamp } },
    ...labelAggs,
  };
}

function windowFilter(params: Pick<CompositeRequestParams, 'fields' | 'lookbackMs' | 'asOf'>) {
  return { range: { [params.fields.timestamp]: timeRange(params.lookbackMs, params.asOf) } };
}

function hasValidDigest(fields: FieldMapping) {
  return { regexp: { [fields.imageDigest]: VALID_DIGEST_LUCENE } };
}

/** Pass 1: one bucket per digest value of documents listing at least one valid digest. */
export function digestRequest(params: CompositeRequestParams) {
  const { fields } = params;
  return {
    index: params.index,
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: [windowFilter(params), hasValidDigest(fields)] } },
    aggs: {
      images: {
        composite: {
          size: params.pageSize,
          sources: [{ digest: { terms: { field: fields.imageDigest } } }],
          ...(params.after ? { after: params.after } : {}),
        },
        aggs: {
          ...imageAggs(fields, params.labelKeys),
          // _source keeps the order the shipper wrote; doc values (and so terms) are sorted
          sample: { top_hits: { size: 1, _source: { includes: [fields.imageDigest] } } },
        },
      },
    },
  };
}

/** Pass 2: one bucket per image name of documents listing no valid digest. */
export function nameRequest(params: CompositeRequestParams) {
  const { fields } = params;
  return {
    index: params.index,
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: [windowFilter(params)], must_not: [hasValidDigest(fields)] } },
    aggs: {
      images: {
        composite: {
          size: params.pageSize,
          sources: [{ image: { terms: { field: fields.imageName, missing_bucket: true } } }],
          ...(params.after ? { after: params.after } : {}),
        },
        aggs: imageAggs(fields, params.labelKeys),
      },
    },
  };
}

/** Distinct counts over the documents listing any of these digests (one image's group). */
export function groupRequest(params: Omit<CompositeRequestParams, 'pageSize' | 'after'>, digests: string[]) {
  const { fields } = params;
  return {
    index: params.index,
    size: 0,
    track_total_hits: true,
    query: { bool: { filter: [windowFilter(params), { terms: { [fields.imageDigest]: digests } }] } },
    aggs: imageAggs(fields, params.labelKeys),
  };
}

/** How many documents of the index lie outside the window (reported, never read). */
export function outsideWindowRequest(params: Omit<CompositeRequestParams, 'pageSize' | 'after'>) {
  return {
    index: params.index,
    size: 0,
    track_total_hits: true,
    query: { bool: { must_not: [windowFilter(params)] } },
  };
}

const TermsAgg = z.object({
  sum_other_doc_count: z.number().optional(),
  buckets: z.array(z.object({ key: z.union([z.string(), z.number()]), doc_count: z.number() })),
});
const ValueAgg = z.object({ value: z.number().nullable() });

/** The sub-aggregations of imageAggs, in a bucket or at the top of a groupRequest response. */
export const ImageAggs = z.looseObject({
  hosts: ValueAgg,
  sample_hosts: TermsAgg,
  containers: ValueAgg,
  tags: TermsAgg,
  names: TermsAgg,
  co_digests: TermsAgg,
  first_seen: ValueAgg,
  last_seen: ValueAgg,
});
export type ImageAggs = z.infer<typeof ImageAggs>;

export const SampleHits = z.object({
  hits: z.object({ hits: z.array(z.looseObject({ _source: z.unknown().optional() })) }),
});

export const CompositeBucket = ImageAggs.extend({
  key: z.object({ image: z.string().nullable().optional(), digest: z.string().nullable().optional() }),
  doc_count: z.number().int().nonnegative(),
  sample: SampleHits.optional(),
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

export const GroupResponse = z.object({
  timed_out: z.boolean().optional(),
  _shards: ShardsInfo,
  hits: z.object({ total: z.object({ value: z.number() }).optional() }).optional(),
  aggregations: ImageAggs,
});
export type GroupResponse = z.infer<typeof GroupResponse>;

export const CountResponse = z.object({
  hits: z.object({ total: z.object({ value: z.number().int().nonnegative() }) }),
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
