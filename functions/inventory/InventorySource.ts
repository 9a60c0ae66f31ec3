// The InventorySource port: where container metadata comes from. Adapters: Elasticsearch
// (composite aggregation, only unique images cross the wire) and an NDJSON file (the same
// documents exported, for air-gapped sites and the demo). Both yield image buckets: one per
// image with a valid digest (keyed by the first valid digest its documents list, every name
// variant and alias digest folded in, hosts and containers counted distinct), and one per
// image name for documents without a valid digest (resolved by tag later).

/** The field names container documents use; ECS by default (see inventory.elasticsearch.fields). */
export interface FieldMapping {
  timestamp: string;
  host: string;
  containerId: string;
  imageName: string;
  imageTag: string;
  imageDigest: string;
  /** The object holding container labels, e.g. `container.labels`. */
  labels: string;
}

export const ECS_FIELDS: FieldMapping = {
  timestamp: '@timestamp',
  host: 'host.name',
  containerId: 'container.id',
  imageName: 'container.image.name',
  imageTag: 'container.image.tag',
  imageDigest: 'container.image.hash.all',
  labels: 'container.labels',
};

export interface InventoryQuery {
  lookbackMs: number;
  /** Re-run the window as of this time (audits); default: the source's notion of now. */
  asOf?: Date;
  /** Label keys to collect values of, in priority order (both dotted and dedotted forms). */
  labelKeys: readonly string[];
  signal?: AbortSignal;
}

export interface ImageBucket {
  /** `container.image.name` as reported (the most reported one); null when documents lacked it. */
  image: string | null;
  /** Every name variant reported for this image (`nginx`, `docker.io/library/nginx`), most reported first. */
  names?: string[];
  /** The first valid digest the documents list; null when they list none. */
  digest: string | null;
  /** The other valid digests listed with it (same image, other repositories). */
  aliases?: string[];
  /** Digest values that are not `sha256:` + 64 hex, as reported (a sample). */
  invalidDigests?: string[];
  /** Values of the tag field seen in the bucket, most frequent first. */
  tags: string[];
  /** Documents (reports) in the bucket. */
  documents: number;
  hostCount: number;
  /** Hosts with the most reports first. */
  sampleHosts: string[];
  containers: number;
  /** Label values per key, in the order of InventoryQuery.labelKeys (absent keys omitted). */
  labels: { key: string; values: string[] }[];
  firstSeen?: string;
  lastSeen?: string;
}

export interface ShardFailures {
  total: number;
  failed: number;
  reasons: string[];
}

export interface SourcePage {
  buckets: ImageBucket[];
  /** Present when the source answered from only some shards (results are partial). */
  shards?: ShardFailures;
}

/** Documents a source could not use (bad JSON, arrays where scalars belong, bad timestamps). */
export interface SkippedDocuments {
  count: number;
  sample: string[];
}

export interface InventorySource {
  readonly description: string;
  /** The window actually queried, `to` being asOf or the source's now. */
  window(query: InventoryQuery): Promise<{ from: Date; to: Date }>;
  pages(query: InventoryQuery): AsyncIterable<SourcePage>;
  /** Documents skipped so far (file sources only; Elasticsearch filters server-side). */
  skipped(): SkippedDocuments;
  /** Documents outside the window after `pages` ran; undefined when the source could not tell. */
  outsideWindow?(): number | undefined;
}
