// InventorySource on Elasticsearch 8.x: pages through the composite aggregation of esQuery.ts,
// always sending back the returned after_key, and reports partial shard failures per page.
// Retries are ours (jittered backoff on 429, 5xx, timeouts and dropped connections): the
// transport alone retries only 502-504, immediately, and never a 429.
import { type Client, errors } from '@elastic/elasticsearch';
import type { Clock } from '../../core/clock.ts';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { retry } from '../../core/retry.ts';
import { retryable } from '../../core/retryable.ts';
import { type CompositeBucket, CompositeResponse, compositeRequest, LabelTerms } from './esQuery.ts';
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

export class ElasticsearchSource implements InventorySource {
  readonly description: string;
  readonly #o: ElasticsearchSourceOptions;

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

  async *pages(query: InventoryQuery): AsyncIterable<SourcePage> {
    let after: Record<string, string | null> | undefined;
    for (let page = 1; ; page++) {
      const request = compositeRequest({
        index: this.#o.index,
        fields: this.#o.fields,
        labelKeys: query.labelKeys,
        lookbackMs: query.lookbackMs,
        ...(query.asOf ? { asOf: query.asOf } : {}),
        pageSize: this.#o.pageSize,
        ...(after ? { after } : {}),
      });
      const raw = await retry(
        () => this.#o.client.search(request, query.signal ? { signal: query.signal } : {}),
        {
          attempts: this.#o.maxRetries + 1,
          baseMs: 500,
          maxMs: 10_000,
          retryable,
          ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
          ...(this.#o.random ? { random: this.#o.random } : {}),
          ...(query.signal ? { signal: query.signal } : {}),
          onRetry: (error, attempt, delayMs) =>
            this.#o.logger?.warn(
              { host: this.#o.host, attempt, delayMs, err: error },
              'elasticsearch search retry',
            ),
        },
      ).catch((error: unknown) => {
        throw toUpstreamError(this.#o.host, error);
      });
      const parsed = CompositeResponse.safeParse(raw);
      if (!parsed.success) {
        throw new ValidationError(
          `${this.#o.host} search response`,
          parsed.error.issues
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .slice(0, 3)
            .join('; '),
          { cause: parsed.error },
        );
      }
      const response = parsed.data;
      const shards = this.#shardFailures(response);
      const images = response.aggregations?.images;
      const buckets = (images?.buckets ?? []).map((b) => this.#bucket(b, query.labelKeys));
      this.#o.logger?.debug({ page, buckets: buckets.length }, 'elasticsearch inventory page');
      if (buckets.length > 0 || shards) yield shards ? { buckets, shards } : { buckets };
      if (buckets.length === 0 || !images?.after_key) return;
      after = images.after_key;
    }
  }

  #shardFailures(response: CompositeResponse): ShardFailures | undefined {
    const s = response._shards;
    if (s.failed === 0 && response.timed_out !== true) return undefined;
    const reasons = (s.failures ?? []).map(
      (f) => `${f.index ?? '?'}: ${f.reason.type}${f.reason.reason ? ` ${f.reason.reason}` : ''}`,
    );
    if (response.timed_out) reasons.push('search timed out on some shards');
    return { total: s.total, failed: s.failed, reasons };
  }

  #bucket(b: CompositeBucket, labelKeys: readonly string[]): ImageBucket {
    const labels: ImageBucket['labels'] = [];
    labelKeys.forEach((key, i) => {
      const terms = LabelTerms.safeParse((b as Record<string, unknown>)[`label_${i}`]);
      if (terms.success && terms.data.buckets.length > 0) {
        labels.push({ key, values: terms.data.buckets.map((t) => String(t.key)) });
      }
    });
    const firstSeen = toIso(b.first_seen.value);
    const lastSeen = toIso(b.last_seen.value);
    return {
      image: b.key.image,
      digest: b.key.digest,
      tags: b.tags.buckets.map((t) => String(t.key)),
      documents: b.doc_count,
      hostCount: b.hosts.value ?? 0,
      sampleHosts: b.sample_hosts.buckets.map((t) => String(t.key)),
      containers: b.containers.value ?? 0,
      labels,
      ...(firstSeen ? { firstSeen } : {}),
      ...(lastSeen ? { lastSeen } : {}),
    };
  }
}
