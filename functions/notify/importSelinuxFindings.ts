// Bringing the node runners' SELinux findings to the notify step. Runners publish them to an
// Elasticsearch index (runner.selinux.elasticsearch; they usually have no AWS access); this
// reads the ones reported within the lookback window and keeps the state store's
// `selinux-findings` collection in step: new and still-reported findings are stored (their
// first detection time kept), findings no runner reported in the window are removed — unless
// the read was incomplete, when nothing is removed.
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import {
  readSelinuxFindingDocument,
  SELINUX_FINDINGS_COLLECTION,
  type SelinuxFinding,
  toSelinuxFinding,
} from '../../core/findings/index.ts';
import type { Logger } from '../../core/logger.ts';
import { retry } from '../../core/retry.ts';
import { failureStatus, retryable } from '../../core/retryable.ts';
import type { StateStore } from '../../core/state/StateStore.ts';

export interface SelinuxFindingSource {
  /** Documents reported since `since`; `complete` is false when more may exist than were read. */
  recent(since: Date): Promise<{ documents: unknown[]; complete: boolean }>;
}

const SearchResponse = z.looseObject({
  _shards: z.looseObject({ failed: z.number().default(0) }).optional(),
  hits: z.looseObject({ hits: z.array(z.looseObject({ _source: z.unknown() })) }),
});

export class ElasticsearchSelinuxSource implements SelinuxFindingSource {
  constructor(
    private readonly client: Client,
    private readonly options: {
      index: string;
      host: string;
      maxFindings: number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  async recent(since: Date): Promise<{ documents: unknown[]; complete: boolean }> {
    const response = await retry(
      async () => {
        try {
          return await this.client.search({
            index: this.options.index,
            size: this.options.maxFindings,
            track_total_hits: false,
            query: { bool: { filter: [{ range: { '@timestamp': { gte: since.toISOString() } } }] } },
          });
        } catch (error) {
          const status = failureStatus(error);
          throw new UpstreamError(
            this.options.host,
            `searching ${this.options.index}${status === undefined ? '' : ` answered ${status}`}: ${errorMessage(error)}`,
            {
              cause: error,
              ...(status !== undefined ? { status } : {}),
            },
          );
        }
      },
      {
        attempts: 4,
        baseMs: 500,
        maxMs: 8000,
        retryable,
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      },
    );
    const parsed = SearchResponse.parse(response);
    const documents = parsed.hits.hits.map((hit) => hit._source);
    const complete = (parsed._shards?.failed ?? 0) === 0 && documents.length < this.options.maxFindings;
    return { documents, complete };
  }
}

export interface ImportResult {
  read: number;
  stored: number;
  removed: number;
  invalid: number;
  complete: boolean;
}

export async function importSelinuxFindings(
  ports: { source: SelinuxFindingSource; store: StateStore; clock: Clock; logger: Logger },
  options: { lookbackMs: number; securityContact: string },
): Promise<ImportResult> {
  const now = ports.clock.now();
  const { documents, complete } = await ports.source.recent(new Date(now.getTime() - options.lookbackMs));
  const existing = new Map(
    (await ports.store.list<SelinuxFinding>(SELINUX_FINDINGS_COLLECTION)).map((r) => [r.key, r.value]),
  );
  const seen = new Map<string, SelinuxFinding>();
  let invalid = 0;
  for (const raw of documents) {
    const doc = readSelinuxFindingDocument(raw);
    if (!doc) {
      invalid++;
      continue;
    }
    const { issue, lastSeen } = doc;
    const finding = toSelinuxFinding(issue, {
      securityContact: options.securityContact,
      at: lastSeen,
      ...(issue.node ? { node: issue.node } : {}),
    });
    // One key can be reported by several nodes: the latest report wins, the first detection is kept.
    const previous = seen.get(finding.key) ?? existing.get(finding.key);
    seen.set(finding.key, previous ? { ...finding, detectedAt: previous.detectedAt } : finding);
  }
  for (const [key, finding] of seen) await ports.store.put(SELINUX_FINDINGS_COLLECTION, key, finding);
  let removed = 0;
  if (complete) {
    for (const key of existing.keys()) {
      if (seen.has(key)) continue;
      await ports.store.delete(SELINUX_FINDINGS_COLLECTION, key);
      removed++;
    }
  }
  const result = { read: documents.length, stored: seen.size, removed, invalid, complete };
  ports.logger.info(result, 'SELinux findings imported');
  return result;
}
