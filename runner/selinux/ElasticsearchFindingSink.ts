// Findings into an Elasticsearch index with one `_bulk` request per batch, through the shared
// connection setup (core/elasticsearch). Each document is built by `selinuxFindingDocument`
// (core/findings), the one shape the notify step reads back; its id is the finding's key (plus
// the node for node-scoped ones), so a re-run updates the document instead of adding another.
// `firstSeen` is kept by the notify side, we send `lastSeen`. What core/retryable.ts calls
// retryable is retried with backoff; per-item errors in the bulk response are counted.
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import { type SelinuxIssue, selinuxFindingDocument } from '../../core/findings/index.ts';
import { retry } from '../../core/retry.ts';
import { failureStatus, retryable } from '../../core/retryable.ts';
import type { FindingSink, SinkResult } from './FindingSink.ts';

export interface ElasticsearchSinkOptions {
  client: Client;
  /** For messages: the node, never credentials. */
  host: string;
  index: string;
  batchSize?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const BulkResponse = z.looseObject({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), z.looseObject({ status: z.number(), error: z.unknown().optional() }))),
});
export type BulkResponse = z.infer<typeof BulkResponse>;

export class ElasticsearchFindingSink implements FindingSink {
  readonly name = 'elasticsearch';
  readonly #options: ElasticsearchSinkOptions;

  constructor(options: ElasticsearchSinkOptions) {
    this.#options = options;
  }

  async publish(issues: readonly SelinuxIssue[], context: { node?: string; at: Date }): Promise<SinkResult> {
    const result: SinkResult = { sent: 0, failed: 0, skipped: 0, errors: [] };
    const size = this.#options.batchSize ?? 500;
    for (let i = 0; i < issues.length; i += size) {
      const batch = issues.slice(i, i + size);
      const operations = batch.flatMap((issue) => {
        const { id, document } = selinuxFindingDocument(issue, context);
        return [{ index: { _index: this.#options.index, _id: id } }, document];
      });
      try {
        const parsed = await retry(() => this.#bulk(operations), {
          attempts: 3,
          baseMs: 500,
          maxMs: 5000,
          retryable,
          ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
        });
        for (const item of parsed.items) {
          const outcome = Object.values(item)[0];
          if (outcome && outcome.status < 300) result.sent++;
          else {
            result.failed++;
            if (result.errors.length < 5)
              result.errors.push(JSON.stringify(outcome?.error ?? outcome).slice(0, 300));
          }
        }
      } catch (error) {
        result.failed += batch.length;
        if (result.errors.length < 5) result.errors.push(errorMessage(error));
      }
    }
    return result;
  }

  async #bulk(operations: unknown[]): Promise<BulkResponse> {
    try {
      return BulkResponse.parse(await this.#options.client.bulk({ operations }));
    } catch (error) {
      if (error instanceof z.ZodError) throw error;
      const status = failureStatus(error);
      throw new UpstreamError(
        this.#options.host,
        `_bulk${status === undefined ? '' : ` answered ${status}`}: ${errorMessage(error)}`,
        { cause: error, ...(status === undefined ? {} : { status }) },
      );
    }
  }
}
