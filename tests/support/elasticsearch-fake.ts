// An Elasticsearch 8.x protocol fake: a real HTTP server on 127.0.0.1:0 that speaks what the
// inventory uses over an in-memory (or lazily generated) document set: `GET /` info with the
// product header the 8.x client insists on, `POST /_bulk` indexing (elasticsearch-fake-bulk.ts,
// what the runner's SELinux finding sink sends), `POST /<index>/_search` with bool/range filters on
// dates (ISO or `now-2h` date math), composite aggregations (`after` paging, `missing_bucket`)
// with terms/cardinality/top_hits/min/max sub-aggregations, scroll for the raw-document
// baseline, partial shard failures, and injected 429/503/hangs. A request it does not
// understand is answered 400 and recorded in `problems`: tests assert that list is empty.
// This file holds the HTTP server (routing, problems, byte counting); the search executor is
// in elasticsearch-fake-search.ts, the query and aggregation evaluator in
// elasticsearch-fake-query.ts, scroll contexts in elasticsearch-fake-scroll.ts and fault
// injection in elasticsearch-fake-faults.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { executeBulk, IndexedDocuments } from './elasticsearch-fake-bulk.ts';
import { errorBody, type Fault, FaultQueue } from './elasticsearch-fake-faults.ts';
import { isObject, NotUnderstood } from './elasticsearch-fake-query.ts';
import { Scrolls } from './elasticsearch-fake-scroll.ts';
import { SearchEngine } from './elasticsearch-fake-search.ts';
import type { DocumentSet } from './fleet-generator.ts';

export type { Fault } from './elasticsearch-fake-faults.ts';

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
  /** A reason to refuse a `_bulk` document (answered as a mapping conflict on that item). */
  rejectDocument?: (document: Record<string, unknown>) => string | undefined;
}

export interface ElasticsearchFake {
  url: string;
  requests: { method: string; path: string; body: unknown }[];
  problems: string[];
  /** Bytes written to clients' sockets since the last reset. */
  bytesSent(): number;
  resetBytes(): void;
  /** The next `times` searches or bulk requests fail this way. */
  inject(fault: Fault, times?: number): void;
  /** Documents indexed through `_bulk`, by id. */
  indexed(): Map<string, Record<string, unknown>>;
  setShards(shards: { total: number; failed: number } | undefined): void;
  stop(): Promise<void>;
}

export async function startElasticsearchFake(options: ElasticsearchFakeOptions): Promise<ElasticsearchFake> {
  const requests: ElasticsearchFake['requests'] = [];
  const problems: string[] = [];
  const faults = new FaultQueue();
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  let baseline = 0;
  const scrolls = new Scrolls();
  const index = options.index ?? 'metricbeat-8.15.0-2026.11.24';
  const documents = new IndexedDocuments(options.documents);
  const engine = new SearchEngine(
    {
      documents,
      index,
      now: options.now ?? (() => new Date()),
      shards: options.shards,
      afterKeyBeyondLastBucket: options.afterKeyBeyondLastBucket,
    },
    scrolls,
  );

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
        const fault = faults.next();
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
        const result = engine.search(
          decodeURIComponent(searchPath[1] as string),
          body,
          url.searchParams.get('scroll'),
        );
        if (Array.isArray(result)) send(result[0], result[1]);
        else send(200, result);
        return;
      }
      const bulkPath = /^(?:\/([^/_][^/]*))?\/_bulk$/.exec(url.pathname);
      if (bulkPath && (req.method === 'POST' || req.method === 'PUT')) {
        const fault = faults.next();
        if (fault?.kind === 'hang') return;
        if (fault?.kind === 'status') {
          send(fault.status, errorBody(fault.status));
          return;
        }
        for (const param of url.searchParams.keys()) {
          if (param !== 'refresh') throw new NotUnderstood(`_bulk query parameter ${param}`);
        }
        const [status, payload] = executeBulk(
          { index, documents, ...(options.rejectDocument ? { rejectDocument: options.rejectDocument } : {}) },
          bulkPath[1] === undefined ? undefined : decodeURIComponent(bulkPath[1]),
          req.headers['content-type'] ?? '',
          text,
        );
        send(status, payload);
        return;
      }
      if (url.pathname === '/_search/scroll' && (req.method === 'POST' || req.method === 'DELETE')) {
        if (!isObject(body)) throw new NotUnderstood('scroll body');
        const [status, payload] =
          req.method === 'DELETE' ? scrolls.clear(body) : scrolls.continue(body, engine);
        send(status, payload);
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
    inject: (fault, times = 1) => faults.inject(fault, times),
    indexed: () => documents.byId(),
    setShards: (value) => {
      engine.shards = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
