// The query and aggregation engine of the Elasticsearch fake: field access as Elasticsearch
// sees it (nested objects or dotted keys, arrays as several values), bool/range filters with
// date math, composite keys ordering, and the sub-aggregations the inventory uses. Anything
// else throws NotUnderstood, which the server turns into a 400 and a recorded problem.
export type Doc = Record<string, unknown>;
export type Json = Record<string, unknown>;

export class NotUnderstood extends Error {}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Elasticsearch's view of a field: objects flattened to dotted paths, scalars or arrays as values. */
export function fieldValues(doc: unknown, path: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(doc)) {
    for (const item of doc) fieldValues(item, path, out);
    return out;
  }
  if (!isObject(doc)) return out;
  if (Object.hasOwn(doc, path)) {
    const v = doc[path];
    for (const x of Array.isArray(v) ? v : [v])
      if (x !== null && x !== undefined && !isObject(x)) out.push(x);
    return out;
  }
  // Objects may be nested (`{container: {image: ...}}`) or hold dotted keys (`{"container.image": ...}`).
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (Object.hasOwn(doc, head)) fieldValues(doc[head], path.slice(dot + 1), out);
  }
  return out;
}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 };

export function parseDate(value: unknown, now: Date): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') throw new NotUnderstood(`date value ${JSON.stringify(value)}`);
  const math = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(value);
  if (math) {
    if (!math[1]) return now.getTime();
    const delta = Number(math[2]) * (UNIT_MS[math[3] as string] as number);
    return now.getTime() + (math[1] === '-' ? -delta : delta);
  }
  if (value.startsWith('now')) throw new NotUnderstood(`date math ${value}`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new NotUnderstood(`date ${value}`);
  return ms;
}

export function docTime(doc: Doc, field: string): number | undefined {
  const v = fieldValues(doc, field)[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export type Filter = (doc: Doc) => boolean;

export function compileQuery(query: unknown, now: Date): Filter {
  if (query === undefined) return () => true;
  if (!isObject(query)) throw new NotUnderstood('query is not an object');
  const [kind, ...more] = Object.keys(query);
  if (more.length > 0) throw new NotUnderstood(`query with several kinds ${Object.keys(query)}`);
  if (kind === 'match_all') return () => true;
  if (kind === 'bool') {
    const bool = query.bool;
    if (!isObject(bool)) throw new NotUnderstood('bool');
    for (const key of Object.keys(bool))
      if (key !== 'filter' && key !== 'must' && key !== 'must_not') throw new NotUnderstood(`bool.${key}`);
    const list = (c: unknown): unknown[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
    const compiled = [...list(bool.filter), ...list(bool.must)].map((c) => compileQuery(c, now));
    const excluded = list(bool.must_not).map((c) => compileQuery(c, now));
    return (doc) => compiled.every((f) => f(doc)) && !excluded.some((f) => f(doc));
  }
  if (kind === 'terms') {
    // any value of the (possibly multi-valued) field equal to any listed term
    const terms = query.terms;
    if (!isObject(terms) || Object.keys(terms).length !== 1) throw new NotUnderstood('terms query');
    const [field, values] = Object.entries(terms)[0] as [string, unknown];
    if (!Array.isArray(values)) throw new NotUnderstood('terms query values');
    const wanted = new Set(values.map(String));
    return (doc) => fieldValues(doc, field).some((v) => wanted.has(String(v)));
  }
  if (kind === 'regexp') {
    // Lucene regexp on a keyword: matches when the whole of any one value matches
    const regexp = query.regexp;
    if (!isObject(regexp) || Object.keys(regexp).length !== 1) throw new NotUnderstood('regexp query');
    const [field, spec] = Object.entries(regexp)[0] as [string, unknown];
    const pattern = typeof spec === 'string' ? spec : isObject(spec) ? spec.value : undefined;
    if (typeof pattern !== 'string' || !/^[\w:[\]{}\-.*+?|()]*$/.test(pattern))
      throw new NotUnderstood(`regexp pattern ${JSON.stringify(pattern)}`);
    const re = new RegExp(`^(?:${pattern})$`);
    return (doc) => fieldValues(doc, field).some((v) => typeof v === 'string' && re.test(v));
  }
  if (kind === 'range') {
    const range = query.range;
    if (!isObject(range) || Object.keys(range).length !== 1) throw new NotUnderstood('range');
    const [field, spec] = Object.entries(range)[0] as [string, unknown];
    if (!isObject(spec)) throw new NotUnderstood('range spec');
    const bounds: Array<[string, number]> = [];
    for (const [op, value] of Object.entries(spec)) {
      if (op === 'format') continue;
      if (!['gte', 'gt', 'lte', 'lt'].includes(op)) throw new NotUnderstood(`range op ${op}`);
      bounds.push([op, parseDate(value, now)]);
    }
    return (doc) => {
      const t = docTime(doc, field);
      if (t === undefined) return false;
      return bounds.every(([op, b]) =>
        op === 'gte' ? t >= b : op === 'gt' ? t > b : op === 'lte' ? t <= b : t < b,
      );
    };
  }
  throw new NotUnderstood(`query kind ${kind}`);
}

export type Key = string | null;

export function compareKeys(a: Key[], b: Key[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export interface SubAggSpec {
  name: string;
  kind: 'terms' | 'cardinality' | 'min' | 'max' | 'top_hits';
  field?: string;
  size: number;
  /** top_hits `_source.includes`: the fields kept in each hit's source. */
  includes?: string[];
}

export interface BucketState {
  key: Key[];
  docCount: number;
  subs: unknown[];
}

export function parseSubAggs(aggs: unknown): SubAggSpec[] {
  if (aggs === undefined) return [];
  if (!isObject(aggs)) throw new NotUnderstood('sub-aggregations');
  return Object.entries(aggs).map(([name, body]) => {
    if (!isObject(body) || Object.keys(body).length !== 1) throw new NotUnderstood(`aggregation ${name}`);
    const [kind, spec] = Object.entries(body)[0] as [string, unknown];
    if (!isObject(spec)) throw new NotUnderstood(`aggregation ${name}`);
    if (kind === 'top_hits') {
      for (const key of Object.keys(spec))
        if (!['size', '_source'].includes(key)) throw new NotUnderstood(`top_hits.${key}`);
      const source = spec._source;
      const includes =
        source === undefined
          ? undefined
          : typeof source === 'string'
            ? [source]
            : Array.isArray(source)
              ? source.map(String)
              : isObject(source) && Array.isArray(source.includes)
                ? source.includes.map(String)
                : undefined;
      if (source !== undefined && includes === undefined) throw new NotUnderstood('top_hits._source');
      return { name, kind, size: Number(spec.size ?? 3), ...(includes ? { includes } : {}) };
    }
    if (!['terms', 'cardinality', 'min', 'max'].includes(kind))
      throw new NotUnderstood(`aggregation type ${kind}`);
    if (typeof spec.field !== 'string') throw new NotUnderstood(`${kind} without field`);
    for (const key of Object.keys(spec)) {
      if (!['field', 'size', 'precision_threshold'].includes(key)) throw new NotUnderstood(`${kind}.${key}`);
    }
    return { name, kind: kind as SubAggSpec['kind'], field: spec.field, size: Number(spec.size ?? 10) };
  });
}

export function newState(spec: SubAggSpec): unknown {
  if (spec.kind === 'terms') return new Map<string, number>();
  if (spec.kind === 'cardinality') return new Set<string>();
  if (spec.kind === 'top_hits') return [] as Doc[];
  return { value: null as number | null, date: false };
}

export function accumulate(spec: SubAggSpec, state: unknown, doc: Doc): void {
  if (spec.kind === 'top_hits') {
    const hits = state as Doc[];
    if (hits.length < spec.size) hits.push(doc);
    return;
  }
  const values = fieldValues(doc, spec.field as string);
  if (spec.kind === 'terms') {
    const map = state as Map<string, number>;
    for (const v of new Set(values.map(String))) map.set(v, (map.get(v) ?? 0) + 1);
  } else if (spec.kind === 'cardinality') {
    for (const v of values) (state as Set<string>).add(String(v));
  } else {
    const s = state as { value: number | null; date: boolean };
    for (const v of values) {
      const n = typeof v === 'number' ? v : Date.parse(String(v));
      if (Number.isNaN(n)) continue;
      if (typeof v === 'string') s.date = true;
      if (s.value === null || (spec.kind === 'min' ? n < s.value : n > s.value)) s.value = n;
    }
  }
}

export function render(spec: SubAggSpec, state: unknown, index: string): unknown {
  if (spec.kind === 'terms') {
    const entries = [...(state as Map<string, number>).entries()].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1),
    );
    const shown = entries.slice(0, spec.size);
    const other = entries.slice(spec.size).reduce((sum, [, n]) => sum + n, 0);
    return {
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: other,
      buckets: shown.map(([key, doc_count]) => ({ key, doc_count })),
    };
  }
  if (spec.kind === 'cardinality') return { value: (state as Set<string>).size };
  if (spec.kind === 'top_hits') {
    const hits = state as Doc[];
    return {
      hits: {
        total: { value: hits.length, relation: 'gte' },
        max_score: null,
        hits: hits.map((doc, i) => ({
          _index: index,
          _id: `hit-${i}`,
          _score: null,
          _source: spec.includes ? filterSource(doc, spec.includes) : doc,
        })),
      },
    };
  }
  const s = state as { value: number | null; date: boolean };
  return s.value !== null && s.date
    ? { value: s.value, value_as_string: new Date(s.value).toISOString() }
    : { value: s.value };
}

export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

/**
 * `_source` filtering as Elasticsearch does it: a key is kept when its full dotted path is an
 * included path or lies under one; objects on the way to an included path keep only what
 * leads there. Arrays keep their order (the source is not doc values).
 */
export function filterSource(doc: unknown, includes: readonly string[], prefix = ''): unknown {
  if (Array.isArray(doc)) return doc.map((d) => filterSource(d, includes, prefix));
  if (!isObject(doc)) return doc;
  const out: Json = {};
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (includes.some((inc) => path === inc || path.startsWith(`${inc}.`))) out[key] = value;
    else if (
      includes.some((inc) => inc.startsWith(`${path}.`)) &&
      (isObject(value) || Array.isArray(value))
    ) {
      const kept = filterSource(value, includes, path);
      if (Array.isArray(kept) ? kept.length > 0 : isObject(kept) && Object.keys(kept).length > 0)
        out[key] = kept;
    }
  }
  return out;
}
