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
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { shortLivedToken, verifyHs256 } from '../../core/jwt.ts';

export interface FakeVulnerability {
  name: string;
  normalizedSeverity: string;
  severity?: string;
  fixedIn?: string;
  description?: string;
  links?: string[];
}
export interface FakePackage {
  name: string;
  version: string;
}
export type ClairCall =
  | 'index_state'
  | 'get_index_report'
  | 'post_index_report'
  | 'delete_index_report'
  | 'vulnerability_report'
  | 'notification_get'
  | 'notification_delete'
  | 'layer_fetch'
  | 'unauthorized'
  /** index POSTs refused with 429 (not counted as post_index_report) */
  | 'throttled';

export interface ClairFakeOptions {
  psk?: Uint8Array;
  issuers?: string[];
  /** Index POSTs in flight before 429 (Clair's index_report_request_concurrency). */
  indexConcurrency?: number;
  latencyMs?: number;
  /** Vulnerability DB: package name -> vulnerabilities affecting every version of it. */
  vulnerabilities?: Record<string, FakeVulnerability[]>;
  /** Packages of a layer digest, for layers without packages.txt. */
  packagesByLayer?: Record<string, FakePackage[]>;
  reportMaxAgeSeconds?: number;
}

interface Stored {
  report: Record<string, unknown>;
  packages: FakePackage[];
  state: string;
}

export interface ClairFake {
  url: string;
  calls: Record<ClairCall, number>;
  /** Index POST bodies received, in order. */
  posted: unknown[];
  reports: Map<string, Stored>;
  state: string;
  setState(state: string): void;
  /** While true the matcher answers 202 (no vulnerability data yet). */
  notReady: boolean;
  /** Rewrites a vulnerability report body before it is sent (bad-input tests). */
  rewriteReport?: (body: Record<string, unknown>) => unknown;
  /** Answer the next N calls of a type with this status before handling normally. */
  failNext(call: ClairCall, count: number, status: number): void;
  /** Creates a notification and POSTs the webhook to `target`; resolves with the webhook status. */
  notify(
    target: string,
    id: string,
    items: Array<{ manifest: string; vulnerability: string; severity?: string; reason?: string }>,
    options?: { receiptDelayMs?: number; psk?: Uint8Array },
  ): Promise<number>;
  notifications: Map<string, { items: unknown[]; receipt: boolean; deleted: boolean }>;
  /** Requests the fake does not understand (no such Clair route) and crashes of the fake. */
  unhandled: string[];
  stop(): Promise<void>;
}

const empty = (): Record<ClairCall, number> => ({
  index_state: 0,
  get_index_report: 0,
  post_index_report: 0,
  delete_index_report: 0,
  vulnerability_report: 0,
  notification_get: 0,
  notification_delete: 0,
  layer_fetch: 0,
  unauthorized: 0,
  throttled: 0,
});
const ROUTES: ReadonlyArray<readonly [string, RegExp, ClairCall]> = [
  ['GET', /^\/indexer\/api\/v1\/index_state$/, 'index_state'],
  ['POST', /^\/indexer\/api\/v1\/index_report$/, 'post_index_report'],
  ['GET', /^\/indexer\/api\/v1\/index_report\/([^/]+)$/, 'get_index_report'],
  ['DELETE', /^\/indexer\/api\/v1\/index_report(?:\/([^/]+))?$/, 'delete_index_report'],
  ['GET', /^\/matcher\/api\/v1\/vulnerability_report\/([^/]+)$/, 'vulnerability_report'],
  ['GET', /^\/notifier\/api\/v1\/notification\/([^/]+)$/, 'notification_get'],
  ['DELETE', /^\/notifier\/api\/v1\/notification\/([^/]+)$/, 'notification_delete'],
];
const HASH = /^sha256:[a-f0-9]{64}$/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads `packages.txt` out of a (possibly gzipped) ustar layer; throws when it is not a tar. */
export function packagesFromLayer(blob: Buffer): FakePackage[] {
  const tar = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
  if (tar.length < 1024 || tar.length % 512 !== 0) throw new Error('layer is not a tar archive');
  const out: FakePackage[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    if (header.subarray(257, 262).toString() !== 'ustar') throw new Error('layer is not a tar archive');
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    const content = tar.subarray(offset + 512, offset + 512 + size).toString('utf8');
    if (name.replace(/^\.?\//, '') === 'packages.txt') {
      for (const line of content.split('\n')) {
        const [pkg, version] = line.trim().split(/\s+/);
        if (pkg) out.push({ name: pkg, version: version ?? '' });
      }
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export async function startClairFake(options: ClairFakeOptions = {}): Promise<ClairFake> {
  const cap = options.indexConcurrency ?? 8;
  let postsInFlight = 0;
  const failures = new Map<ClairCall, { count: number; status: number }>();
  /** page_size of the last notification page served, per notification id. */
  const pageSizes = new Map<string, number>();
  const fake: ClairFake = {
    url: '',
    calls: empty(),
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
    notify: async (target, id, items, notifyOptions = {}) => {
      fake.notifications.set(id, {
        items: items.map((item, i) => ({
          id: String(i),
          manifest: item.manifest,
          reason: item.reason ?? 'added',
          vulnerability: {
            name: item.vulnerability,
            normalized_severity: item.severity ?? 'High',
            fixed_in_version: '',
          },
        })),
        receipt: false,
        deleted: false,
      });
      const psk = notifyOptions.psk ?? options.psk;
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(psk ? { authorization: `Bearer ${shortLivedToken('clair-notifier', psk)}` } : {}),
        },
        body: JSON.stringify({
          notification_id: id,
          callback: `${fake.url}/notifier/api/v1/notification/${id}`,
        }),
      });
      await res.arrayBuffer();
      // only a 200 counts as delivered, and the receipt is written after the webhook returned
      if (res.status === 200) {
        const record = fake.notifications.get(id);
        setTimeout(() => {
          if (record) record.receipt = true;
        }, notifyOptions.receiptDelayMs ?? 50).unref();
      }
      return res.status;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const tag = (): string => `"${fake.state}"`;
  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string): void =>
    send(res, status, { code, message });

  const authorized = (req: IncomingMessage): boolean => {
    if (!options.psk) return true;
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    try {
      if (!match?.[1]) return false;
      verifyHs256(match[1], options.psk, { issuers: options.issuers ?? ['imagewarden'], leewaySeconds: 15 });
      return true;
    } catch {
      return false;
    }
  };

  const vulnerabilityReport = (hash: string, stored: Stored): Record<string, unknown> => {
    const packages: Record<string, unknown> = {};
    const vulnerabilities: Record<string, unknown> = {};
    const byPackage: Record<string, string[]> = {};
    let vid = 0;
    stored.packages.forEach((p, i) => {
      const id = String(i + 1);
      packages[id] = { id, name: p.name, version: p.version, kind: 'binary', source: { id: '', name: '' } };
      for (const v of options.vulnerabilities?.[p.name] ?? []) {
        const vulnId = String(++vid);
        vulnerabilities[vulnId] = {
          id: vulnId,
          updater: 'fake-updater',
          name: v.name,
          description: v.description ?? `${v.name} in ${p.name}`,
          issued: '2026-01-01T00:00:00Z',
          links: (v.links ?? [`https://security.example/${v.name}`]).join(' '),
          severity: v.severity ?? v.normalizedSeverity.toLowerCase(),
          normalized_severity: v.normalizedSeverity,
          package: { id: '', name: p.name, version: '', kind: 'binary' },
          distribution: null,
          repository: null,
          fixed_in_version: v.fixedIn ?? '',
          range: null,
        };
        byPackage[id] = [...(byPackage[id] ?? []), vulnId];
      }
    });
    return {
      manifest_hash: hash,
      packages,
      distributions: {},
      repository: {},
      environments: Object.fromEntries(
        Object.keys(packages).map((id) => [id, [{ package_db: 'packages.txt', introduced_in: hash }]]),
      ),
      vulnerabilities,
      package_vulnerabilities: byPackage,
      enrichments: {},
    };
  };

  const index = async (req: IncomingMessage, res: ServerResponse, text: string): Promise<void> => {
    let body: {
      hash?: unknown;
      layers?: Array<{ hash?: string; uri?: string; headers?: Record<string, string[]> }>;
    };
    try {
      body = JSON.parse(text);
      fake.posted.push(body);
    } catch {
      return error(res, 400, 'bad-request', 'failed to deserialize manifest');
    }
    if (typeof body.hash !== 'string' || !HASH.test(body.hash))
      return error(res, 400, 'bad-request', 'bogus manifest hash');
    if (!Array.isArray(body.layers) || body.layers.length === 0)
      return error(res, 400, 'bad-request', 'manifest has no layers');
    if (req.headers['if-none-match'] === tag()) return send(res, 412, undefined, { etag: tag() });
    const hash = body.hash;
    const packages: FakePackage[] = [];
    const fail = (err: string): void => {
      const report = { manifest_hash: hash, state: 'IndexError', success: false, err, packages: {} };
      fake.reports.set(hash, { report, packages: [], state: fake.state });
      send(res, 500, report);
    };
    for (const layer of body.layers) {
      fake.calls.layer_fetch++;
      let blob: Buffer;
      try {
        const headers = Object.fromEntries(
          Object.entries(layer.headers ?? {}).map(([k, v]) => [k, v.join(', ')]),
        );
        const got = await fetch(layer.uri ?? '', { headers });
        blob = Buffer.from(await got.arrayBuffer());
        if (got.status !== 200) return fail(`fetching layer ${layer.hash}: unexpected status ${got.status}`);
      } catch (e) {
        return fail(`fetching layer ${layer.hash}: ${(e as Error).message}`);
      }
      const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
      if (digest !== layer.hash) return fail(`layer ${layer.hash}: content has digest ${digest}`);
      const mapped = options.packagesByLayer?.[digest];
      try {
        packages.push(...(mapped ?? packagesFromLayer(blob)));
      } catch (e) {
        return error(res, 400, 'bad-request', `layer ${layer.hash}: ${(e as Error).message}`);
      }
    }
    const report = {
      manifest_hash: hash,
      state: 'IndexFinished',
      packages: Object.fromEntries(packages.map((p, i) => [String(i + 1), { id: String(i + 1), ...p }])),
      distributions: {},
      repository: {},
      environments: {},
      success: true,
      err: '',
    };
    fake.reports.set(hash, { report, packages, state: fake.state });
    send(res, 201, report, {
      etag: tag(),
      location: `/indexer/api/v1/index_report/${hash}`,
      link: `</matcher/api/v1/vulnerability_report/${hash}>; rel="alternate"`,
    });
  };

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
    if (!authorized(req)) {
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
        return send(res, 200, { state: fake.state }, { etag: tag() });
      case 'post_index_report':
        return index(req, res, text);
      case 'get_index_report': {
        // Clair compares the validator before looking the manifest up
        if (req.headers['if-none-match'] === tag()) return send(res, 304, undefined, { etag: tag() });
        const stored = fake.reports.get(id);
        if (!stored) return error(res, 404, 'not-found', 'index report not found');
        return send(res, 200, stored.report, { etag: tag() });
      }
      case 'delete_index_report': {
        if (id) {
          fake.reports.delete(id);
          return send(res, 204);
        }
        const hashes = JSON.parse(text || '[]') as string[];
        return send(
          res,
          200,
          hashes.filter((h) => fake.reports.delete(h)),
        );
      }
      case 'vulnerability_report': {
        const stored = fake.reports.get(id);
        if (stored?.report.state !== 'IndexFinished' || !stored)
          return error(res, 404, 'not-found', 'index report not found');
        if (fake.notReady) return send(res, 202);
        const body = vulnerabilityReport(id, stored);
        return send(res, 200, fake.rewriteReport ? fake.rewriteReport(body) : body, {
          'cache-control': `max-age=${options.reportMaxAgeSeconds ?? 21600}`,
        });
      }
      case 'notification_get': {
        const n = fake.notifications.get(id);
        if (!n || n.deleted) return error(res, 404, 'not-found', 'notification not found');
        const size = Number(url.searchParams.get('page_size') ?? 500);
        const start = Number(url.searchParams.get('next') ?? 0);
        // Clair's paging expects the same page_size on every call of one walk
        const walked = pageSizes.get(id);
        if (url.searchParams.has('next') && walked !== undefined && walked !== size)
          fake.unhandled.push(`GET ${path}: page_size ${size} after ${walked} within one walk`);
        pageSizes.set(id, size);
        const items = n.items.slice(start, start + size);
        const next = start + size < n.items.length ? String(start + size) : undefined;
        return send(res, 200, { page: { size, ...(next ? { next } : {}) }, notifications: items });
      }
      case 'notification_delete': {
        const n = fake.notifications.get(id);
        if (!n || n.deleted) return error(res, 404, 'not-found', 'notification not found');
        if (!n.receipt) return error(res, 500, 'internal-error', 'no delivery receipt for notification');
        n.deleted = true;
        return send(res, 200);
      }
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

// ---------------------------------------------------------------------------------------
// Synthetic images for unit tests and the bench: layer blobs served by a tiny HTTP server
// (optionally demanding an Authorization header, optionally redirecting like a registry that
// hands out storage URLs) and a ManifestSource over them, so Clair's layer fetches are real
// HTTP without a registry process.

export interface BlobServer {
  url: string;
  /** Stores a blob and returns its digest. */
  add(content: Buffer): string;
  /** GETs per path. */
  fetches: number;
  stop(): Promise<void>;
}

export async function startBlobServer(
  options: { authorization?: string; redirect?: boolean } = {},
): Promise<BlobServer> {
  const blobs = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://blob');
    const storage = url.pathname.startsWith('/storage/');
    const digest = url.pathname.split('/').pop() ?? '';
    if (!storage && options.authorization && req.headers.authorization !== options.authorization) {
      res.writeHead(401).end();
      return;
    }
    if (!storage && options.redirect) {
      res.writeHead(307, { location: `/storage/${digest}` }).end();
      return;
    }
    blobs_.fetches++;
    const blob = blobs.get(digest);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      res.writeHead(206, { 'content-range': `bytes ${range[1]}-${range[2]}/${blob.length}` });
      res.end(blob.subarray(Number(range[1]), Number(range[2]) + 1));
      return;
    }
    res.writeHead(200, { 'content-length': blob.length }).end(blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const blobs_: BlobServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    add: (content) => {
      const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      blobs.set(digest, content);
      return digest;
    },
    fetches: 0,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return blobs_;
}

/** Images keyed by digest with their layers on a BlobServer; implements the scan step's ManifestSource. */
export class SyntheticImages {
  readonly #blobs: BlobServer;
  readonly #authorization: string | undefined;
  readonly #images = new Map<string, { layers: string[]; platform?: string }>();
  calls = { resolvePlatformManifest: 0, resolveBlobLocation: 0, authorization: 0 };

  constructor(blobs: BlobServer, authorization?: string) {
    this.#blobs = blobs;
    this.#authorization = authorization;
  }

  /** An image whose layers are tars carrying `packages.txt` lines; returns its manifest digest. */
  addImage(layers: Buffer[], salt = ''): string {
    const digests = layers.map((l) => this.#blobs.add(l));
    const digest = `sha256:${createHash('sha256')
      .update(`${digests.join(',')}|${salt}`)
      .digest('hex')}`;
    this.#images.set(digest, { layers: digests });
    return digest;
  }

  /** A multi-arch index pointing at `platformDigest`; returns the index digest. */
  addIndex(platformDigest: string): string {
    const digest = `sha256:${createHash('sha256').update(`index|${platformDigest}`).digest('hex')}`;
    this.#images.set(digest, { layers: [], platform: platformDigest });
    return digest;
  }

  async resolvePlatformManifest(ref: { digest: string | undefined }): Promise<{
    indexDigest?: string;
    digest: string;
    manifest: { layers: { digest: string; mediaType: string }[] };
  }> {
    this.calls.resolvePlatformManifest++;
    const top = this.#images.get(ref.digest ?? '');
    if (!top) throw new Error(`manifest ${ref.digest} not found`);
    const digest = top.platform ?? (ref.digest as string);
    const image = this.#images.get(digest);
    if (!image) throw new Error(`manifest ${digest} not found`);
    const layers = image.layers.map((d) => ({
      digest: d,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    }));
    return { ...(top.platform ? { indexDigest: ref.digest as string } : {}), digest, manifest: { layers } };
  }

  async resolveBlobLocation(
    _domain: string,
    _path: string,
    digest: string,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    this.calls.resolveBlobLocation++;
    return { url: `${this.#blobs.url}/v2/blobs/${digest}`, headers: {} };
  }

  async authorization(): Promise<string | undefined> {
    this.calls.authorization++;
    return this.#authorization;
  }
}

/** A gzipped ustar layer holding `packages.txt` with "name version" lines. */
export function packagesLayer(packages: FakePackage[], extra = ''): Buffer {
  const content = Buffer.from(packages.map((p) => `${p.name} ${p.version}\n`).join('') + extra);
  const header = Buffer.alloc(512, 0);
  header.write('packages.txt', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return gzipSync(Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]));
}
