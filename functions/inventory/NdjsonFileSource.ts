// InventorySource over an NDJSON export of container documents (one JSON object per line,
// the same fields as in Elasticsearch). For air-gapped sites and the demo. A static export has
// no "now": unless --as-of is given, the window ends at the newest plausible document time, so
// the same file gives the same inventory whenever it is read. Each document belongs to one
// image, keyed by its first valid digest (DigestGroups.ts), so host and container counts are
// distinct across the name variants and alias digests of that image.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Clock } from '../../core/clock.ts';
import { DAY_MS } from '../../core/clock.ts';
import { NotFoundError } from '../../core/errors.ts';
import { DigestGroups } from './DigestGroups.ts';
import { splitDigests } from './digests.ts';
import { getField, keywordValues } from './documentFields.ts';
import { MAX_LABEL_VALUES, MAX_NAMES, MAX_TAGS, SAMPLE_HOSTS } from './esQuery.ts';
import type {
  FieldMapping,
  ImageBucket,
  InventoryQuery,
  InventorySource,
  SkippedDocuments,
  SourcePage,
} from './InventorySource.ts';

const OLDEST_PLAUSIBLE = Date.parse('2000-01-01T00:00:00Z');
const SAMPLE_SIZE = 10;

interface Accumulator {
  /** Name variants with their report counts. */
  names: Map<string, number>;
  digest: string | null;
  aliases: Set<string>;
  invalidDigests: Set<string>;
  documents: number;
  tags: Map<string, number>;
  hosts: Map<string, number>;
  containers: Set<string>;
  labels: Map<string, number>[];
  first: number;
  last: number;
}

function topKeys(counts: Map<string, number>, n: number): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k]) => k);
}

const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

export interface NdjsonFileSourceOptions {
  path: string;
  fields: FieldMapping;
  clock: Clock;
  pageSize?: number;
}

export class NdjsonFileSource implements InventorySource {
  readonly description: string;
  readonly #o: NdjsonFileSourceOptions;
  #skipped: SkippedDocuments = { count: 0, sample: [] };
  #outside: number | undefined;
  #newest: number | undefined;

  constructor(options: NdjsonFileSourceOptions) {
    this.#o = options;
    this.description = `file ${options.path}`;
  }

  skipped(): SkippedDocuments {
    return this.#skipped;
  }

  outsideWindow(): number | undefined {
    return this.#outside;
  }

  async *#documents(signal?: AbortSignal): AsyncIterable<{ line: number; doc: unknown; error?: string }> {
    const stream = createReadStream(this.#o.path, { encoding: 'utf8' });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    try {
      await opened;
    } catch (error) {
      throw new NotFoundError(`cannot read inventory file ${this.#o.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let line = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (signal?.aborted) throw signal.reason;
      line++;
      if (text.trim() === '') continue;
      try {
        yield { line, doc: JSON.parse(text) as unknown };
      } catch {
        yield { line, doc: undefined, error: 'not valid JSON' };
      }
    }
  }

  /** A document's time, or the reason it has no usable one. */
  #timestamp(doc: unknown): number | string {
    const raw = getField(doc, this.#o.fields.timestamp);
    if (Array.isArray(raw)) return `${this.#o.fields.timestamp} is an array`;
    const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
    if (!Number.isFinite(ms)) return `${this.#o.fields.timestamp} is missing or not a time`;
    if (ms < OLDEST_PLAUSIBLE || ms > this.#o.clock.now().getTime() + DAY_MS) {
      return `${this.#o.fields.timestamp} ${JSON.stringify(raw)} is implausible`;
    }
    return ms;
  }

  async window(query: InventoryQuery): Promise<{ from: Date; to: Date }> {
    let to = query.asOf?.getTime();
    if (to === undefined) {
      if (this.#newest === undefined) {
        for await (const { doc, error } of this.#documents(query.signal)) {
          if (error) continue;
          const ms = this.#timestamp(doc);
          if (typeof ms === 'number' && (this.#newest === undefined || ms > this.#newest)) this.#newest = ms;
        }
      }
      to = this.#newest ?? this.#o.clock.now().getTime();
    }
    return { from: new Date(to - query.lookbackMs), to: new Date(to) };
  }

  #skip(line: number, reason: string): void {
    this.#skipped.count++;
    if (this.#skipped.sample.length < SAMPLE_SIZE) this.#skipped.sample.push(`line ${line}: ${reason}`);
  }

  async *pages(query: InventoryQuery): AsyncIterable<SourcePage> {
    const { from, to } = await this.window(query);
    const f = this.#o.fields;
    this.#skipped = { count: 0, sample: [] };
    let outside = 0;
    const accs = new Map<string, Accumulator>();
    const groups = new DigestGroups();
    for await (const { line, doc, error } of this.#documents(query.signal)) {
      if (error) {
        this.#skip(line, error);
        continue;
      }
      const ms = this.#timestamp(doc);
      if (typeof ms === 'string') {
        this.#skip(line, ms);
        continue;
      }
      if (ms < from.getTime() || ms > to.getTime()) {
        outside++;
        continue;
      }
      const image = getField(doc, f.imageName);
      const host = getField(doc, f.host);
      const container = getField(doc, f.containerId);
      const scalarProblem = Array.isArray(image)
        ? `${f.imageName} is an array`
        : typeof image !== 'string' || image === ''
          ? `${f.imageName} is missing or not a string`
          : Array.isArray(host)
            ? `${f.host} is an array`
            : Array.isArray(container)
              ? `${f.containerId} is an array`
              : undefined;
      if (scalarProblem || typeof image !== 'string') {
        this.#skip(line, scalarProblem ?? 'bad image');
        continue;
      }
      const { valid, invalid } = splitDigests(keywordValues(getField(doc, f.imageDigest)));
      const digest = valid[0] ?? null;
      groups.link(valid);
      const key = digest !== null ? `d\u0000${digest}` : `n\u0000${image}`;
      let acc = accs.get(key);
      if (!acc) {
        acc = {
          names: new Map(),
          digest,
          aliases: new Set(),
          invalidDigests: new Set(),
          documents: 0,
          tags: new Map(),
          hosts: new Map(),
          containers: new Set(),
          labels: query.labelKeys.map(() => new Map()),
          first: ms,
          last: ms,
        };
        accs.set(key, acc);
      }
      bump(acc.names, image);
      for (const alias of valid.slice(1)) acc.aliases.add(alias);
      for (const bad of invalid) if (acc.invalidDigests.size < SAMPLE_SIZE) acc.invalidDigests.add(bad);
      acc.documents++;
      acc.first = Math.min(acc.first, ms);
      acc.last = Math.max(acc.last, ms);
      for (const tag of keywordValues(getField(doc, f.imageTag))) bump(acc.tags, tag);
      for (const h of keywordValues(host)) bump(acc.hosts, h);
      for (const c of keywordValues(container)) acc.containers.add(c);
      const labels = getField(doc, f.labels);
      query.labelKeys.forEach((labelKey, i) => {
        for (const value of keywordValues(getField(labels, labelKey)))
          bump(acc.labels[i] as Map<string, number>, value);
      });
    }
    this.#outside = outside;
    const sorted = this.#grouped(accs, groups).sort((a, b) => {
      const an = topKeys(a.names, 1)[0] ?? '';
      const bn = topKeys(b.names, 1)[0] ?? '';
      return an === bn ? ((a.digest ?? '') < (b.digest ?? '') ? -1 : 1) : an < bn ? -1 : 1;
    });
    const size = this.#o.pageSize ?? 1000;
    for (let i = 0; i < sorted.length; i += size) {
      yield { buckets: sorted.slice(i, i + size).map((acc) => this.#toBucket(acc, query.labelKeys)) };
    }
  }

  /**
   * Accumulators of digests listed together in some document merged into one per image: sets
   * are united (distinct hosts and containers), and the key is the first valid digest of the
   * most reported accumulator (documents listing the digests in another order are rare).
   */
  #grouped(accs: Map<string, Accumulator>, groups: DigestGroups): Accumulator[] {
    const byRoot = new Map<string, Accumulator[]>();
    const out: Accumulator[] = [];
    for (const acc of accs.values()) {
      if (acc.digest === null) {
        out.push(acc);
        continue;
      }
      const root = groups.root(acc.digest);
      byRoot.set(root, [...(byRoot.get(root) ?? []), acc]);
    }
    for (const members of byRoot.values()) {
      const [lead, ...rest] = [...members].sort((a, b) => b.documents - a.documents);
      if (!lead) continue;
      for (const other of rest) {
        for (const [k, n] of other.names) lead.names.set(k, (lead.names.get(k) ?? 0) + n);
        for (const [k, n] of other.tags) lead.tags.set(k, (lead.tags.get(k) ?? 0) + n);
        for (const [k, n] of other.hosts) lead.hosts.set(k, (lead.hosts.get(k) ?? 0) + n);
        for (const c of other.containers) lead.containers.add(c);
        other.labels.forEach((m, i) => {
          const into = lead.labels[i] as Map<string, number>;
          for (const [k, n] of m) into.set(k, (into.get(k) ?? 0) + n);
        });
        if (other.digest !== null) lead.aliases.add(other.digest);
        for (const a of other.aliases) lead.aliases.add(a);
        for (const bad of other.invalidDigests)
          if (lead.invalidDigests.size < SAMPLE_SIZE) lead.invalidDigests.add(bad);
        lead.documents += other.documents;
        lead.first = Math.min(lead.first, other.first);
        lead.last = Math.max(lead.last, other.last);
      }
      lead.aliases.delete(lead.digest as string);
      out.push(lead);
    }
    return out;
  }

  #toBucket(acc: Accumulator, labelKeys: readonly string[]): ImageBucket {
    const labels: ImageBucket['labels'] = [];
    labelKeys.forEach((key, i) => {
      const values = topKeys(acc.labels[i] as Map<string, number>, MAX_LABEL_VALUES);
      if (values.length > 0) labels.push({ key, values });
    });
    const names = topKeys(acc.names, MAX_NAMES);
    return {
      image: names[0] ?? null,
      names,
      digest: acc.digest,
      aliases: [...acc.aliases].sort(),
      invalidDigests: [...acc.invalidDigests],
      tags: topKeys(acc.tags, MAX_TAGS),
      documents: acc.documents,
      hostCount: acc.hosts.size,
      sampleHosts: topKeys(acc.hosts, SAMPLE_HOSTS),
      containers: acc.containers.size,
      labels,
      firstSeen: new Date(acc.first).toISOString(),
      lastSeen: new Date(acc.last).toISOString(),
    };
  }
}
