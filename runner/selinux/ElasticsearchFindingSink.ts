// Findings into an Elasticsearch index with one `_bulk` request per batch. The document id is
// the finding's key (plus the node for node-scoped ones), so a re-run updates the document
// instead of adding another; `firstSeen` is kept by the notify side, we send `lastSeen`.
// 429 and 5xx are retried with backoff; per-item errors in the bulk response are counted.
import { z } from 'zod';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import { retry } from '../../core/retry.ts';
import type { FindingSink, SinkResult } from './FindingSink.ts';

export interface ElasticsearchSinkOptions {
  node: string;
  index: string;
  /** Already resolved from its SecretRef. */
  apiKey?: string;
  username?: string;
  password?: string;
  batchSize?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export const BulkResponse = z.looseObject({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), z.looseObject({ status: z.number(), error: z.unknown().optional() }))),
});
export type BulkResponse = z.infer<typeof BulkResponse>;

export class ElasticsearchFindingSink implements FindingSink {
  readonly name = 'elasticsearch';
  readonly #options: ElasticsearchSinkOptions;
  readonly #fetch: typeof fetch;

  constructor(options: ElasticsearchSinkOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (this.#options.apiKey) headers.authorization = `ApiKey ${this.#options.apiKey}`;
    else if (this.#options.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${this.#options.username}:${this.#options.password ?? ''}`).toString('base64')}`;
    return headers;
  }

  async publish(issues: readonly SelinuxIssue[], context: { node?: string; at: Date }): Promise<SinkResult> {
    const result: SinkResult = { sent: 0, failed: 0, skipped: 0, errors: [] };
    const size = this.#options.batchSize ?? 500;
    const url = `${this.#options.node.replace(/\/+$/, '')}/_bulk`;
    const host = new URL(url).host;
    for (let i = 0; i < issues.length; i += size) {
      const batch = issues.slice(i, i + size);
      const body = batch
        .map((issue) => {
          const id = issue.node || !context.node ? issue.key : `${issue.key}|node/${context.node}`;
          const doc = {
            ...issue,
            kind: 'selinux',
            node: issue.node ?? context.node,
            lastSeen: context.at.toISOString(),
            '@timestamp': context.at.toISOString(),
          };
          return `${JSON.stringify({ index: { _index: this.#options.index, _id: id } })}\n${JSON.stringify(doc)}\n`;
        })
        .join('');
      try {
        const parsed = await retry(
          async () => {
            const response = await this.#fetch(url, {
              method: 'POST',
              headers: this.#headers(),
              body,
              signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
            });
            const text = await response.text();
            if (response.status === 429 || response.status >= 500) {
              throw new UpstreamError(host, `_bulk answered ${response.status}`, { status: response.status });
            }
            if (!response.ok)
              throw new UpstreamError(host, `_bulk answered ${response.status}: ${text.slice(0, 200)}`, {
                status: response.status,
              });
            return BulkResponse.parse(JSON.parse(text));
          },
          {
            attempts: 3,
            baseMs: 500,
            maxMs: 5000,
            retryable: (error) =>
              !(error instanceof UpstreamError) ||
              error.status === undefined ||
              error.status === 429 ||
              error.status >= 500,
            ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
          },
        );
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
}
