// A Clair v4 protocol fake (see shared/facts/clair-v4.md): a real HTTP server on 127.0.0.1:0.
// Indexer: synchronous POST index_report that really GETs every layer URI it is given with
// the given headers and checks the digest (so wrong URLs or registry credentials fail as they
// would with Clair); "indexing" reads `packages.txt` ("name version" lines) from the layer
// tars, or packages the test maps to a layer digest. 400 undecodable/empty hash/no layers/not
// a tar; 412 on If-None-Match = state; 429 above the concurrency cap (no Retry-After); 500 +
// IndexError report when a layer fetch fails. GET index_report 304 (state checked before
// existence, as Clair does)/200/404; index_state ETag the test can change. Matcher: 200 (not
// 201) with Cache-Control, 202 while not ready, 404. PSK HS256 JWT with issuers and 15 s
// leeway, bare 401. Notifier: paged notifications and a webhook delivery whose receipt is
// recorded only after the webhook answered 200; DELETE before that fails with 500.
// A request on a route Clair does not have is answered 404 and recorded in `unhandled`, as
// is a crash of the fake: tests assert that list is empty.
// This file holds the HTTP server (routing, PSK check, injected failures, the index
// concurrency cap, unhandled requests); the services are in clair-fake-indexer.ts,
// clair-fake-matcher.ts and clair-fake-notifier.ts, the state model in clair-fake-model.ts,
// layer tars in clair-fake-layers.ts and the synthetic images in clair-fake-images.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorized, error } from './clair-fake-http.ts';
import { deleteIndexReport, getIndexReport, indexState, postIndexReport } from './clair-fake-indexer.ts';
import { getVulnerabilityReport } from './clair-fake-matcher.ts';
import { type ClairCall, type ClairFake, type ClairFakeOptions, emptyCalls } from './clair-fake-model.ts';
import { createNotifier } from './clair-fake-notifier.ts';

export { type BlobServer, SyntheticImages, startBlobServer } from './clair-fake-images.ts';
export { packagesFromLayer, packagesLayer } from './clair-fake-layers.ts';
export type {
  ClairCall,
  ClairFake,
  ClairFakeOptions,
  FakePackage,
  FakeVulnerability,
} from './clair-fake-model.ts';

const ROUTES: ReadonlyArray<readonly [string, RegExp, ClairCall]> = [
  ['GET', /^\/indexer\/api\/v1\/index_state$/, 'index_state'],
  ['POST', /^\/indexer\/api\/v1\/index_report$/, 'post_index_report'],
  ['GET', /^\/indexer\/api\/v1\/index_report\/([^/]+)$/, 'get_index_report'],
  ['DELETE', /^\/indexer\/api\/v1\/index_report(?:\/([^/]+))?$/, 'delete_index_report'],
  ['GET', /^\/matcher\/api\/v1\/vulnerability_report\/([^/]+)$/, 'vulnerability_report'],
  ['GET', /^\/notifier\/api\/v1\/notification\/([^/]+)$/, 'notification_get'],
  ['DELETE', /^\/notifier\/api\/v1\/notification\/([^/]+)$/, 'notification_delete'],
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startClairFake(options: ClairFakeOptions = {}): Promise<ClairFake> {
  const cap = options.indexConcurrency ?? 8;
  let postsInFlight = 0;
  const failures = new Map<ClairCall, { count: number; status: number }>();
  const fake: ClairFake = {
    url: '',
    calls: emptyCalls(),
    posted: [],
    reports: new Map(),
    state: 'state-1',
    setState: (s) => {
      fake.state = s;
    },
    notReady: false,
    failNext: (call, count, status) => void failures.set(call, { count, status }),
    notifications: new Map(),
    unhandled: [],
    notify: (target, id, items, notifyOptions) => notifier.notify(target, id, items, notifyOptions),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const notifier = createNotifier(fake, options);

  const handle = async (req: IncomingMessage, res: ServerResponse, text: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    let call: ClairCall | undefined;
    let id = '';
    for (const [method, pattern, name] of ROUTES) {
      const m = req.method === method ? pattern.exec(path) : null;
      if (m) {
        call = name;
        id = m[1] ?? '';
        break;
      }
    }
    if (!call) {
      fake.unhandled.push(`${req.method} ${path}`);
      return error(res, 404, 'not-found', `no route ${req.method} ${path}`);
    }
    if (!authorized(req, options)) {
      fake.calls.unauthorized++;
      res.writeHead(401).end();
      return;
    }
    fake.calls[call]++;
    const failure = failures.get(call);
    if (failure && failure.count > 0) {
      failure.count--;
      return error(
        res,
        failure.status,
        failure.status === 429 ? 'too-many-requests' : 'internal-error',
        'injected failure',
      );
    }
    switch (call) {
      case 'index_state':
        return indexState(fake, res);
      case 'post_index_report':
        return postIndexReport(fake, options, req, res, text);
      case 'get_index_report':
        return getIndexReport(fake, req, res, id);
      case 'delete_index_report':
        return deleteIndexReport(fake, res, id, text);
      case 'vulnerability_report':
        return getVulnerabilityReport(fake, options, res, id);
      case 'notification_get':
        return notifier.get(res, url, id);
      case 'notification_delete':
        return notifier.delete(res, id);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isPost = req.method === 'POST' && req.url?.startsWith('/indexer/api/v1/index_report');
      // the cap counts requests being served, as Clair's concurrency limiter does
      if (isPost && postsInFlight >= cap) {
        fake.calls.throttled++;
        return error(res, 429, 'too-many-requests', 'server is busy');
      }
      if (isPost) postsInFlight++;
      void (async () => {
        try {
          if (options.latencyMs) await sleep(options.latencyMs);
          await handle(req, res, Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
          fake.unhandled.push(`${req.method} ${req.url}: fake crashed: ${(e as Error).message}`);
          if (!res.headersSent) error(res, 500, 'internal-error', (e as Error).message);
        } finally {
          if (isPost) postsInFlight--;
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
