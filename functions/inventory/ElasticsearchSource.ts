// InventorySource on Elasticsearch 8.x: pages through the composite aggregations of esQuery.ts
// (documents with a valid digest by digest, the others by image name), always sending back the
// returned after_key, folds the digest buckets into images (DigestBucketFolder.ts), and reports
// partial shard failures per page and the documents outside the window.
// Retries are ours (jittered backoff on 429, 5xx, timeouts and dropped connections): the
// transport alone retries only 502-504, immediately, and never a 429.
import { type Client, errors } from '@elastic/elasticsearch';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { retry } from '../../core/retry.ts';
import { retryable } from '../../core/retryable.ts';
import { DigestBucketFolder, type DigestImage } from './DigestBucketFolder.ts';
import {
  type CompositeBucket,
  type CompositeRequestParams,
  CompositeResponse,
  CountResponse,
  digestRequest,
  GroupResponse,
  groupRequest,
  type ImageAggs,
  LabelTerms,
  nameRequest,
  outsideWindowRequest,
} from './esQuery.ts';
import type {
  FieldMapping,
  ImageBucket,
  InventoryQuery,
  InventorySource,
  ShardFailures,
  SkippedDocuments,
  SourcePage,
} from './InventorySource.ts';

export interface ElasticsearchSourceOptions {
  client: Client;
  /** For messages: the node or cloud id, never credentials. */
  host: string;
  index: string;
  fields: FieldMapping;
  pageSize: number;
  /** Our retries after the first attempt. */
  maxRetries: number;
  clock: Clock;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Turns a client error into ours, naming the host and what Elasticsearch said. */
export function toUpstreamError(host: string, error: unknown): Error {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const body = error.body as { error?: { type?: string; reason?: string } } | undefined;
    const what = body?.error?.type ? `${body.error.type}: ${body.error.reason ?? ''}` : error.message;
    if (status === 401 || status === 403)
      return new AuthError(host, `search refused (HTTP ${status}): ${what}`, { status, cause: error });
    if (status === 404) return new NotFoundError(`${host}: ${what}`, { cause: error });
    if (status === 400) {
      return new UpstreamError(
        host,
        `search rejected (HTTP 400): ${what}; check inventory.elasticsearch.fields map to keyword fields`,
        { status, cause: error },
      );
    }
    return new UpstreamError(host, `search failed (HTTP ${status}): ${what}`, { status, cause: error });
  }
  if (error instanceof errors.ProductNotSupportedError) {
    return new UpstreamError(host, 'the server is not Elasticsearch (no x-elastic-product header)', {
      cause: error,
    });
  }
  if (error instanceof errors.TimeoutError)
    return new UpstreamError(host, 'search timed out', { cause: error });
  if (error instanceof errors.ConnectionError) {
    return new UpstreamError(host, `cannot connect: ${error.message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function toIso(value: number | null): string | undefined {
  if (value === null || !Number.isFinite(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

type Params = Omit<CompositeRequestParams, 'pageSize' | 'after'>;

export class ElasticsearchSource implements InventorySource {
  readonly description: string;
  readonly #o: ElasticsearchSourceOptions;
  #outside: number | undefined;

  constructor(options: ElasticsearchSourceOptions) {
    this.#o = options;
    this.description = `elasticsearch ${options.host} index ${options.index}`;
  }

  async window(query: InventoryQuery): Promise<{ from: Date; to: Date }> {
    const to = query.asOf ?? this.#o.clock.now();
    return { from: new Date(to.getTime() - query.lookbackMs), to };
  }

  skipped(): SkippedDocuments {
    return { count: 0, sample: [] };
  }

  outsideWindow(): number | undefined {
    return this.#outside;
  }

  async *pages(query: InventoryQuery): AsyncIterable<SourcePage> {
    const params: Params = {
      index: this.#o.index,
      fields: this.#o.fields,
      labelKeys: query.labelKeys,
      lookbackMs: query.lookbackMs,
      ...(query.asOf ? { asOf: query.asOf } : {}),
    };
    // Pass 1: digest buckets are held until every page is in, since the digests of one image
    // can sit on different pages; only shard failures are passed on as they come.
    const folder = new DigestBucketFolder(this.#o.fields.imageDigest);
    let passShards: ShardFailures | undefined;
    for await (const page of this.#composite(digestRequest, params, query.signal)) {
      for (const b of page.buckets) folder.add(b);
      passShards = page.shards ?? passShards;
    }
    const images = folder.images();
    if (images.length === 0 && passShards) yield { buckets: [], shards: passShards };
    for (let i = 0; i < images.length; i += this.#o.pageSize) {
      const buckets: ImageBucket[] = [];
      let shards = passShards;
      for (const image of images.slice(i, i + this.#o.pageSize)) {
        const counted = await this.#counts(image, params, query.signal);
        shards = counted.shards ?? shards;
        buckets.push(this.#bucket(counted.aggs, counted.documents, query.labelKeys, image));
      }
      yield shards ? { buckets, shards } : { buckets };
    }
    // Pass 2: documents without a valid digest, one bucket per image name.
    for await (const page of this.#composite(nameRequest, params, query.signal)) {
      const buckets = page.buckets.map((b) => this.#bucket(b, b.doc_count, query.labelKeys, undefined));
      if (buckets.length > 0 || page.shards)
        yield page.shards ? { buckets, shards: page.shards } : { buckets };
    }
    this.#outside = await this.#countOutside(params, query.signal);
  }

  /** Every page of one composite aggregation, following after_key. */
  async *#composite(
    build: (p: CompositeRequestParams) => Record<string, unknown>,
    params: Params,
    signal: AbortSignal | undefined,
  ): AsyncIterable<{ buckets: CompositeBucket[]; shards: ShardFailures | undefined }> {
    let after: Record<string, string | null> | undefined;
    for (let page = 1; ; page++) {
      const request = build({ ...params, pageSize: this.#o.pageSize, ...(after ? { after } : {}) });
      const response = this.#parse(CompositeResponse, await this.#search(request, signal));
      const images = response.aggregations?.images;
      const buckets = images?.buckets ?? [];
      this.#o.logger?.debug({ page, buckets: buckets.length }, 'elasticsearch inventory page');
      yield { buckets, shards: this.#shardFailures(response) };
      if (buckets.length === 0 || !images?.after_key) return;
      after = images.after_key;
    }
  }

  /** An image's distinct counts: from the bucket covering all its documents, else one query. */
  async #counts(
    image: DigestImage,
    params: Params,
    signal: AbortSignal | undefined,
  ): Promise<{ aggs: ImageAggs; documents: number; shards?: ShardFailures }> {
    if (image.cover) return { aggs: image.cover.aggs, documents: image.cover.documents };
    const request = groupRequest(params, [image.digest, ...image.aliases]);
    const response = this.#parse(GroupResponse, await this.#search(request, signal));
    const shards = this.#shardFailures(response);
    return {
      aggs: response.aggregations,
      documents: response.hits?.total?.value ?? Math.max(...image.members.map((m) => m.documents)),
      ...(shards ? { shards } : {}),
    };
  }

  async #countOutside(params: Params, signal: AbortSignal | undefined): Promise<number | undefined> {
    try {
      const raw = await this.#search(outsideWindowRequest(params), signal);
      return this.#parse(CountResponse, raw).hits.total.value;
    } catch (error) {
      // only a report; the inventory itself is complete
      this.#o.logger?.warn({ host: this.#o.host, err: error }, 'cannot count documents outside the window');
      return undefined;
    }
  }

  async #search(request: Record<string, unknown>, signal: AbortSignal | undefined): Promise<unknown> {
    return retry(() => this.#o.client.search(request, signal ? { signal } : {}), {
      attempts: this.#o.maxRetries + 1,
      baseMs: 500,
      maxMs: 10_000,
      retryable,
      ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
      ...(this.#o.random ? { random: this.#o.random } : {}),
      ...(signal ? { signal } : {}),
      onRetry: (error, attempt, delayMs) =>
        this.#o.logger?.warn(
          { host: this.#o.host, attempt, delayMs, err: error },
          'elasticsearch search retry',
        ),
    }).catch((error: unknown) => {
      throw toUpstreamError(this.#o.host, error);
    });
  }

  #parse<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new ValidationError(
      `${this.#o.host} search response`,
      parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .slice(0, 3)
        .join('; '),
      { cause: parsed.error },
    );
  }

  #shardFailures(response: Pick<CompositeResponse, '_shards' | 'timed_out'>): ShardFailures | undefined {
    const s = response._shards;
    if (s.failed === 0 && response.timed_out !== true) return undefined;
    const reasons = (s.failures ?? []).map(
      (f) => `${f.index ?? '?'}: ${f.reason.type}${f.reason.reason ? ` ${f.reason.reason}` : ''}`,
    );
    if (response.timed_out) reasons.push('search timed out on some shards');
    return { total: s.total, failed: s.failed, reasons };
  }

  #bucket(
    b: ImageAggs & { key?: { image?: string | null } },
    documents: number,
    labelKeys: readonly string[],
    image: DigestImage | undefined,
  ): ImageBucket {
    const labels: ImageBucket['labels'] = [];
    labelKeys.forEach((key, i) => {
      const terms = LabelTerms.safeParse((b as Record<string, unknown>)[`label_${i}`]);
      if (terms.success && terms.data.buckets.length > 0) {
        labels.push({ key, values: terms.data.buckets.map((t) => String(t.key)) });
      }
    });
    const firstSeen = toIso(b.first_seen.value);
    const lastSeen = toIso(b.last_seen.value);
    const names = b.names.buckets.map((t) => String(t.key));
    // a name bucket is keyed by its name (null: documents without one); a digest image by its digest
    const name = image ? (names[0] ?? null) : (b.key?.image ?? null);
    return {
      image: name,
      names: name === null ? names : [name, ...names.filter((n) => n !== name)],
      digest: image?.digest ?? null,
      aliases: image?.aliases ?? [],
      invalidDigests: image ? image.invalidDigests : b.co_digests.buckets.map((t) => String(t.key)),
      tags: b.tags.buckets.map((t) => String(t.key)),
      documents,
      hostCount: b.hosts.value ?? 0,
      sampleHosts: b.sample_hosts.buckets.map((t) => String(t.key)),
      containers: b.containers.value ?? 0,
      labels,
      ...(firstSeen ? { firstSeen } : {}),
      ...(lastSeen ? { lastSeen } : {}),
    };
  }
}
