// An Elasticsearch 8.x protocol fake: a real HTTP server on 127.0.0.1:0 that speaks what the
// inventory uses over an in-memory (or lazily generated) document set: `GET /` info with the
// product header the 8.x client insists on, `POST /<index>/_search` with bool/range filters on
// dates (ISO or `now-2h` date math), composite aggregations (`after` paging, `missing_bucket`)
// with terms/cardinality/top_hits/min/max sub-aggregations, scroll for the raw-document
// baseline, partial shard failures, and injected 429/503/hangs. A request it does not
// understand is answered 400 and recorded in `problems`: tests assert that list is empty.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  accumulate,
  type BucketState,
  compareKeys,
  compileQuery,
  type Filter,
  fieldValues,
  globMatch,
  isObject,
  type Json,
  type Key,
  NotUnderstood,
  newState,
  parseSubAggs,
  render,
  type SubAggSpec,
} from './elasticsearch-fake-query.ts';
import type { DocumentSet } from './fleet-generator.ts';

export interface ElasticsearchFakeOptions {
  documents: DocumentSet;
  /** The index every document lives in. */
  index?: string;
  /** The fake's clock for `now` date math. */
  now?: () => Date;
  /** Shards per search; documents of failed shards are left out, as Elasticsearch does. */
  shards?: { total: number; failed: number };
  version?: string;
  /**
   * Drop the last bucket of each full page from the response while still returning its key as
   * `after_key`, as a filtered page does: a client paging from the last bucket it saw instead
   * of `after_key` gets a bucket twice.
   */
  afterKeyBeyondLastBucket?: boolean;
}

export type Fault = { kind: 'status'; status: 429 | 503 | 500 } | { kind: 'hang' };

export interface ElasticsearchFake {
  url: string;
  requests: { method: string; path: string; body: unknown }[];
  problems: string[];
  /** Bytes written to clients' sockets since the last reset. */
  bytesSent(): number;
  resetBytes(): void;
  /** The next `times` searches fail this way. */
  inject(fault: Fault, times?: number): void;
  setShards(shards: { total: number; failed: number } | undefined): void;
  stop(): Promise<void>;
}

export async function startElasticsearchFake(options: ElasticsearchFakeOptions): Promise<ElasticsearchFake> {
  const index = options.index ?? 'metricbeat-8.15.0-2026.11.24';
  const now = options.now ?? (() => new Date());
  let shards = options.shards;
  const requests: ElasticsearchFake['requests'] = [];
  const problems: string[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  let baseline = 0;
  const compositeCache = new Map<string, BucketState[]>();
  const scrolls = new Map<string, { cursor: number; filter: Filter; size: number }>();
  let scrollSeq = 0;

  const docs = options.documents;
  /** Documents on failed shards are left out of results, as a real partial response would. */
  const onLiveShard = (i: number): boolean => !shards || i % shards.total >= shards.failed;

  const shardsInfo = (): Json =>
    shards
      ? {
          total: shards.total,
          successful: shards.total - shards.failed,
          skipped: 0,
          failed: shards.failed,
          ...(shards.failed > 0
            ? {
                failures: Array.from({ length: shards.failed }, (_, s) => ({
                  shard: s,
                  index,
                  node: `node-${s}`,
                  reason: { type: 'node_not_connected_exception', reason: `[node-${s}] Node not connected` },
                })),
              }
            : {}),
        }
      : { total: 1, successful: 1, skipped: 0, failed: 0 };

  function indexMatches(pattern: string): { ok: boolean; missingConcrete?: string } {
    const parts = pattern.split(',');
    const ok = parts.some((p) => globMatch(p, index));
    const concrete = parts.find((p) => !p.includes('*') && p !== index);
    return ok ? { ok } : { ok, ...(concrete ? { missingConcrete: concrete } : {}) };
  }

  function composite(agg: Json, filter: Filter, cacheKey: string): Json {
    const comp = agg.composite;
    if (!isObject(comp)) throw new NotUnderstood('composite');
    for (const key of Object.keys(comp))
      if (!['size', 'sources', 'after'].includes(key)) throw new NotUnderstood(`composite.${key}`);
    const size = Number(comp.size ?? 10);
    if (!Array.isArray(comp.sources)) throw new NotUnderstood('composite.sources');
    const sources = comp.sources.map((s) => {
      if (!isObject(s) || Object.keys(s).length !== 1) throw new NotUnderstood('composite source');
      const [name, body] = Object.entries(s)[0] as [string, unknown];
      if (!isObject(body) || !isObject(body.terms) || typeof body.terms.field !== 'string') {
        throw new NotUnderstood(`composite source ${name}: only terms sources are served`);
      }
      for (const key of Object.keys(body.terms))
        if (!['field', 'missing_bucket', 'order'].includes(key)) throw new NotUnderstood(`terms.${key}`);
      return { name, field: body.terms.field, missing: body.terms.missing_bucket === true };
    });
    const subs = parseSubAggs(agg.aggs ?? agg.aggregations);
    let all = compositeCache.get(cacheKey);
    if (!all) {
      const buckets = new Map<string, BucketState>();
      for (let i = 0; i < docs.size; i++) {
        if (!onLiveShard(i)) continue;
        const doc = docs.get(i);
        if (!filter(doc)) continue;
        let combos: Key[][] = [[]];
        for (const source of sources) {
          const values = [...new Set(fieldValues(doc, source.field).map(String))];
          const options: Key[] = values.length > 0 ? values : source.missing ? [null] : [];
          combos = combos.flatMap((c) => options.map((v) => [...c, v]));
        }
        for (const key of combos) {
          const id = JSON.stringify(key);
          let bucket = buckets.get(id);
          if (!bucket) {
            bucket = { key, docCount: 0, subs: subs.map(newState) };
            buckets.set(id, bucket);
          }
          bucket.docCount++;
          for (let s = 0; s < subs.length; s++) accumulate(subs[s] as SubAggSpec, bucket.subs[s], doc);
        }
      }
      all = [...buckets.values()].sort((a, b) => compareKeys(a.key, b.key));
      compositeCache.set(cacheKey, all);
    }
    let start = 0;
    if (comp.after !== undefined) {
      if (!isObject(comp.after)) throw new NotUnderstood('composite.after');
      const after = sources.map((s) => {
        const v = (comp.after as Json)[s.name];
        if (v !== null && typeof v !== 'string') throw new NotUnderstood(`after.${s.name}`);
        return v as Key;
      });
      start = all.findIndex((b) => compareKeys(b.key, after) > 0);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + size);
    const keyObject = (key: Key[]): Json =>
      Object.fromEntries(sources.map((s, i) => [s.name, key[i] ?? null]));
    const last = page[page.length - 1];
    const shown = options.afterKeyBeyondLastBucket && page.length === size ? page.slice(0, -1) : page;
    return {
      ...(last ? { after_key: keyObject(last.key) } : {}),
      buckets: shown.map((b) => ({
        key: keyObject(b.key),
        doc_count: b.docCount,
        ...Object.fromEntries(subs.map((spec, s) => [spec.name, render(spec, b.subs[s], index)])),
      })),
    };
  }

  function hitsPage(cursor: number, filter: Filter, size: number): { hits: Json[]; cursor: number } {
    const hits: Json[] = [];
    let i = cursor;
    for (; i < docs.size && hits.length < size; i++) {
      if (!onLiveShard(i)) continue;
      const doc = docs.get(i);
      if (filter(doc)) hits.push({ _index: index, _id: String(i), _score: null, _source: doc, sort: [i] });
    }
    return { hits, cursor: i };
  }

  function search(pattern: string, body: Json, scroll: string | null): Json | [number, Json] {
    for (const key of Object.keys(body)) {
      if (!['size', 'track_total_hits', 'query', 'aggs', 'aggregations', 'sort', '_source'].includes(key)) {
        throw new NotUnderstood(`search body key ${key}`);
      }
    }
    const match = indexMatches(pattern);
    if (match.missingConcrete) {
      return [
        404,
        {
          error: { type: 'index_not_found_exception', reason: `no such index [${match.missingConcrete}]` },
          status: 404,
        },
      ];
    }
    const nowDate = now();
    const filter = match.ok ? compileQuery(body.query, nowDate) : () => false;
    const took = 3;
    const aggs = body.aggs ?? body.aggregations;
    const size = Number(body.size ?? 10);
    let aggregations: Json | undefined;
    if (aggs !== undefined) {
      if (!isObject(aggs)) throw new NotUnderstood('aggs');
      aggregations = {};
      for (const [name, agg] of Object.entries(aggs)) {
        if (!isObject(agg) || !('composite' in agg)) throw new NotUnderstood(`top-level aggregation ${name}`);
        const { after: _after, size: _size, ...rest } = agg.composite as Json;
        const relative = JSON.stringify(body.query ?? null).includes('"now');
        const cacheKey = JSON.stringify([
          pattern,
          body.query,
          rest,
          agg.aggs,
          relative ? nowDate.getTime() : 0,
          shards,
        ]);
        aggregations[name] = match.ok ? composite(agg, filter, cacheKey) : { buckets: [] };
      }
    }
    let hits: Json[] = [];
    let scrollId: string | undefined;
    if (size > 0) {
      const page = hitsPage(0, filter, size);
      hits = page.hits;
      if (scroll !== null) {
        scrollId = Buffer.from(`scroll-${++scrollSeq}`).toString('base64');
        scrolls.set(scrollId, { cursor: page.cursor, filter, size });
      }
    }
    return {
      ...(scrollId ? { _scroll_id: scrollId } : {}),
      took,
      timed_out: false,
      _shards: shardsInfo(),
      hits: {
        ...(body.track_total_hits === false ? {} : { total: { value: 0, relation: 'gte' } }),
        max_score: null,
        hits,
      },
      ...(aggregations ? { aggregations } : {}),
    };
  }

  function errorBody(status: number): Json {
    if (status === 429) {
      return {
        error: {
          root_cause: [
            {
              type: 'es_rejected_execution_exception',
              reason: 'rejected execution of coordinating operation',
            },
          ],
          type: 'es_rejected_execution_exception',
          reason: 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0]',
        },
        status,
      };
    }
    return {
      error: { type: 'search_phase_execution_exception', reason: 'all shards failed', phase: 'query' },
      status,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = text;
    }
    requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, body });
    const send = (status: number, payload: unknown): void => {
      const out = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/vnd.elasticsearch+json;compatible-with=8',
        'x-elastic-product': 'Elasticsearch',
        'content-length': Buffer.byteLength(out),
      });
      res.end(out);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/') {
        send(200, {
          name: 'fake-node',
          cluster_name: 'imagewarden-fake',
          cluster_uuid: 'fake-uuid',
          version: {
            number: options.version ?? '8.15.3',
            build_flavor: 'default',
            lucene_version: '9.11.1',
            minimum_wire_compatibility_version: '7.17.0',
          },
          tagline: 'You Know, for Search',
        });
        return;
      }
      const searchPath = /^\/([^/_][^/]*)\/_search$/.exec(url.pathname);
      if (searchPath && (req.method === 'POST' || req.method === 'GET')) {
        const fault = faults.shift();
        if (fault?.kind === 'hang') return; // never answered; the client's timeout must fire
        if (fault?.kind === 'status') {
          send(fault.status, errorBody(fault.status));
          return;
        }
        for (const param of url.searchParams.keys()) {
          if (!['scroll', 'typed_keys', 'rest_total_hits_as_int'].includes(param))
            throw new NotUnderstood(`query parameter ${param}`);
        }
        if (!isObject(body)) throw new NotUnderstood('search body is not a JSON object');
        const result = search(
          decodeURIComponent(searchPath[1] as string),
          body,
          url.searchParams.get('scroll'),
        );
        if (Array.isArray(result)) send(result[0], result[1]);
        else send(200, result);
        return;
      }
      if (url.pathname === '/_search/scroll' && (req.method === 'POST' || req.method === 'DELETE')) {
        if (!isObject(body)) throw new NotUnderstood('scroll body');
        if (req.method === 'DELETE') {
          const ids = Array.isArray(body.scroll_id) ? body.scroll_id : [body.scroll_id];
          let freed = 0;
          for (const id of ids) if (scrolls.delete(String(id))) freed++;
          send(200, { succeeded: true, num_freed: freed });
          return;
        }
        const state = scrolls.get(String(body.scroll_id));
        if (!state) {
          send(404, {
            error: { type: 'search_context_missing_exception', reason: 'No search context found' },
            status: 404,
          });
          return;
        }
        const page = hitsPage(state.cursor, state.filter, state.size);
        state.cursor = page.cursor;
        send(200, {
          _scroll_id: body.scroll_id,
          took: 2,
          timed_out: false,
          _shards: shardsInfo(),
          hits: { max_score: null, hits: page.hits },
        });
        return;
      }
      throw new NotUnderstood(`${req.method} ${url.pathname}`);
    } catch (error) {
      if (!(error instanceof NotUnderstood)) throw error;
      problems.push(`${req.method} ${url.pathname}: not understood: ${error.message}`);
      send(400, {
        error: { type: 'parsing_exception', reason: `fake does not understand ${error.message}` },
        status: 400,
      });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      problems.push(`fake crashed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      closedBytes += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const total = (): number => closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    problems,
    bytesSent: () => total() - baseline,
    resetBytes: () => {
      baseline = total();
    },
    inject: (fault, times = 1) => {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    setShards: (value) => {
      shards = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
