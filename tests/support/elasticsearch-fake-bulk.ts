// `_bulk` indexing of the Elasticsearch fake (elasticsearch-fake.ts), as the node runner's
// SELinux finding sink uses it: an NDJSON body of action lines (`index` or `create`, with
// `_index` and `_id`) each followed by its document, which must end with a newline. Indexed
// documents join the fake's document set (a document indexed again under its id replaces the
// old one, `create` of an existing id is a 409 item), so a later `_search` finds them, as a
// refreshed index would. Per-item outcomes follow Elasticsearch: 201 created, 200 updated,
// and item errors with `errors: true` at the top; a mapping conflict is injected with
// `rejectDocument`.
import { isObject, type Json, NotUnderstood } from './elasticsearch-fake-query.ts';
import type { DocumentSet } from './fleet-generator.ts';

/** The fake's documents: those it started with, then those indexed through `_bulk`. */
export class IndexedDocuments implements DocumentSet {
  readonly #base: DocumentSet;
  readonly #indexed = new Map<string, Record<string, unknown>>();

  constructor(base: DocumentSet) {
    this.#base = base;
  }

  get size(): number {
    return this.#base.size + this.#indexed.size;
  }

  get(index: number): Record<string, unknown> {
    if (index < this.#base.size) return this.#base.get(index);
    return [...this.#indexed.values()][index - this.#base.size] as Record<string, unknown>;
  }

  has(id: string): boolean {
    return this.#indexed.has(id);
  }

  put(id: string, document: Record<string, unknown>): void {
    this.#indexed.set(id, document);
  }

  /** Indexed documents by id (what a test asserts on). */
  byId(): Map<string, Record<string, unknown>> {
    return new Map(this.#indexed);
  }
}

export interface BulkSettings {
  index: string;
  documents: IndexedDocuments;
  /** A reason to answer an item with a mapper_parsing_exception, as a mapping conflict would. */
  rejectDocument?: (document: Record<string, unknown>) => string | undefined;
}

let sequence = 0;

/** Executes one `_bulk` body; `[status, body]`. */
export function executeBulk(
  settings: BulkSettings,
  pathIndex: string | undefined,
  contentType: string,
  text: string,
): [number, Json] {
  if (!/^application\/(x-ndjson|vnd\.elasticsearch\+x-ndjson)/.test(contentType)) {
    throw new NotUnderstood(`_bulk content-type ${contentType}`);
  }
  if (!text.endsWith('\n')) {
    return [
      400,
      {
        error: {
          type: 'illegal_argument_exception',
          reason: 'The bulk request must be terminated by a newline [\\n]',
        },
        status: 400,
      },
    ];
  }
  const lines = text.split('\n').slice(0, -1);
  const items: Json[] = [];
  let errors = false;
  for (let i = 0; i < lines.length; i += 2) {
    const action = JSON.parse(lines[i] as string) as unknown;
    if (!isObject(action)) throw new NotUnderstood('_bulk action line');
    const [op, meta] = Object.entries(action)[0] ?? [];
    if (op !== 'index' && op !== 'create') throw new NotUnderstood(`_bulk action ${op}`);
    if (!isObject(meta)) throw new NotUnderstood('_bulk action metadata');
    const index = (meta._index as string | undefined) ?? pathIndex;
    if (index !== settings.index)
      throw new NotUnderstood(`_bulk into index ${index} (the fake holds ${settings.index})`);
    const id = typeof meta._id === 'string' ? meta._id : `auto-${++sequence}`;
    const source = lines[i + 1] === undefined ? undefined : (JSON.parse(lines[i + 1] as string) as unknown);
    const base = { _index: index, _id: id };
    if (!isObject(source)) throw new NotUnderstood('_bulk document line');
    const rejected = settings.rejectDocument?.(source);
    if (rejected !== undefined) {
      errors = true;
      items.push({
        [op]: { ...base, status: 400, error: { type: 'mapper_parsing_exception', reason: rejected } },
      });
      continue;
    }
    const exists = settings.documents.has(id);
    if (op === 'create' && exists) {
      errors = true;
      items.push({
        [op]: {
          ...base,
          status: 409,
          error: { type: 'version_conflict_engine_exception', reason: `[${id}]: document already exists` },
        },
      });
      continue;
    }
    settings.documents.put(id, source);
    items.push({
      [op]: { ...base, _version: 1, result: exists ? 'updated' : 'created', status: exists ? 200 : 201 },
    });
  }
  return [200, { took: 1, errors, items }];
}
