// The `_search` executor of the Elasticsearch fake (elasticsearch-fake.ts) over its document
// set: index pattern matching, the shard view (documents on failed shards left out, `_shards`
// with failures), pages of hits (opening a scroll when asked), and composite aggregations
// computed once per query and served page by page after `after`. The query and
// sub-aggregation evaluation itself lives in elasticsearch-fake-query.ts.
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
import type { Scrolls } from './elasticsearch-fake-scroll.ts';
import type { DocumentSet } from './fleet-generator.ts';

export type Shards = { total: number; failed: number } | undefined;

export interface SearchSettings {
  documents: DocumentSet;
  index: string;
  now: () => Date;
  shards: Shards;
  afterKeyBeyondLastBucket?: boolean;
}

export class SearchEngine {
  /** Shards per search; settable while the fake runs. */
  shards: Shards;
  readonly #docs: DocumentSet;
  readonly #index: string;
  readonly #now: () => Date;
  readonly #afterKeyBeyondLastBucket: boolean | undefined;
  readonly #scrolls: Scrolls;
  readonly #compositeCache = new Map<string, BucketState[]>();

  constructor(settings: SearchSettings, scrolls: Scrolls) {
    this.shards = settings.shards;
    this.#docs = settings.documents;
    this.#index = settings.index;
    this.#now = settings.now;
    this.#afterKeyBeyondLastBucket = settings.afterKeyBeyondLastBucket;
    this.#scrolls = scrolls;
  }

  /** Documents on failed shards are left out of results, as a real partial response would. */
  onLiveShard(i: number): boolean {
    return !this.shards || i % this.shards.total >= this.shards.failed;
  }

  shardsInfo(): Json {
    const shards = this.shards;
    const index = this.#index;
    return shards
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
  }

  #indexMatches(pattern: string): { ok: boolean; missingConcrete?: string } {
    const index = this.#index;
    const parts = pattern.split(',');
    const ok = parts.some((p) => globMatch(p, index));
    const concrete = parts.find((p) => !p.includes('*') && p !== index);
    return ok ? { ok } : { ok, ...(concrete ? { missingConcrete: concrete } : {}) };
  }

  #composite(agg: Json, filter: Filter, cacheKey: string): Json {
    const docs = this.#docs;
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
    let all = this.#compositeCache.get(cacheKey);
    if (!all) {
      const buckets = new Map<string, BucketState>();
      for (let i = 0; i < docs.size; i++) {
        if (!this.onLiveShard(i)) continue;
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
      this.#compositeCache.set(cacheKey, all);
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
    const shown = this.#afterKeyBeyondLastBucket && page.length === size ? page.slice(0, -1) : page;
    return {
      ...(last ? { after_key: keyObject(last.key) } : {}),
      buckets: shown.map((b) => ({
        key: keyObject(b.key),
        doc_count: b.docCount,
        ...Object.fromEntries(subs.map((spec, s) => [spec.name, render(spec, b.subs[s], this.#index)])),
      })),
    };
  }

  /** hits.total: exact with track_total_hits true, else counted up to 10,000 as Elasticsearch does. */
  #total(filter: Filter, track: unknown): Json {
    let count = 0;
    for (let i = 0; i < this.#docs.size; i++) if (this.onLiveShard(i) && filter(this.#docs.get(i))) count++;
    const limit = track === true ? Number.POSITIVE_INFINITY : typeof track === 'number' ? track : 10_000;
    return count > limit ? { value: limit, relation: 'gte' } : { value: count, relation: 'eq' };
  }

  /** Top-level metric and terms aggregations over every matching document (no buckets around them). */
  #plain(aggs: Json, filter: Filter): Json {
    const specs = parseSubAggs(aggs);
    const states = specs.map(newState);
    for (let i = 0; i < this.#docs.size; i++) {
      if (!this.onLiveShard(i)) continue;
      const doc = this.#docs.get(i);
      if (!filter(doc)) continue;
      for (const [s, spec] of specs.entries()) accumulate(spec, states[s], doc);
    }
    return Object.fromEntries(specs.map((spec, s) => [spec.name, render(spec, states[s], this.#index)]));
  }

  hitsPage(cursor: number, filter: Filter, size: number): { hits: Json[]; cursor: number } {
    const docs = this.#docs;
    const hits: Json[] = [];
    let i = cursor;
    for (; i < docs.size && hits.length < size; i++) {
      if (!this.onLiveShard(i)) continue;
      const doc = docs.get(i);
      if (filter(doc))
        hits.push({ _index: this.#index, _id: String(i), _score: null, _source: doc, sort: [i] });
    }
    return { hits, cursor: i };
  }

  /** `<pattern>/_search` with this body; `scroll` is the `?scroll=` parameter, if any. */
  search(pattern: string, body: Json, scroll: string | null): Json | [number, Json] {
    for (const key of Object.keys(body)) {
      if (!['size', 'track_total_hits', 'query', 'aggs', 'aggregations', 'sort', '_source'].includes(key)) {
        throw new NotUnderstood(`search body key ${key}`);
      }
    }
    const match = this.#indexMatches(pattern);
    if (match.missingConcrete) {
      return [
        404,
        {
          error: { type: 'index_not_found_exception', reason: `no such index [${match.missingConcrete}]` },
          status: 404,
        },
      ];
    }
    const nowDate = this.#now();
    const filter = match.ok ? compileQuery(body.query, nowDate) : () => false;
    const took = 3;
    const aggs = body.aggs ?? body.aggregations;
    const size = Number(body.size ?? 10);
    let aggregations: Json | undefined;
    if (aggs !== undefined) {
      if (!isObject(aggs)) throw new NotUnderstood('aggs');
      aggregations = {};
      const plain = Object.fromEntries(
        Object.entries(aggs).filter(([, agg]) => !(isObject(agg) && 'composite' in agg)),
      );
      if (Object.keys(plain).length > 0)
        Object.assign(aggregations, this.#plain(plain, match.ok ? filter : () => false));
      for (const [name, agg] of Object.entries(aggs)) {
        if (!isObject(agg)) throw new NotUnderstood(`top-level aggregation ${name}`);
        if (!('composite' in agg)) continue;
        const { after: _after, size: _size, ...rest } = agg.composite as Json;
        const relative = JSON.stringify(body.query ?? null).includes('"now');
        const cacheKey = JSON.stringify([
          pattern,
          body.query,
          rest,
          agg.aggs,
          relative ? nowDate.getTime() : 0,
          this.shards,
        ]);
        aggregations[name] = match.ok ? this.#composite(agg, filter, cacheKey) : { buckets: [] };
      }
    }
    let hits: Json[] = [];
    let scrollId: string | undefined;
    if (size > 0) {
      const page = this.hitsPage(0, filter, size);
      hits = page.hits;
      if (scroll !== null) {
        scrollId = this.#scrolls.open({ cursor: page.cursor, filter, size });
      }
    }
    return {
      ...(scrollId ? { _scroll_id: scrollId } : {}),
      took,
      timed_out: false,
      _shards: this.shardsInfo(),
      hits: {
        ...(body.track_total_hits === false
          ? {}
          : { total: this.#total(match.ok ? filter : () => false, body.track_total_hits) }),
        max_score: null,
        hits,
      },
      ...(aggregations ? { aggregations } : {}),
    };
  }
}
