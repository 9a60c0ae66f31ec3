// The Indexer API of the Clair v4 fake (clair-fake.ts): index_state with its ETag, and
// index_report POST (synchronous; really GETs every layer URI with the given headers, checks
// the digest and reads the packages), GET (validator compared before existence, as Clair
// does) and DELETE (one manifest, or a list of them).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { error, send } from './clair-fake-http.ts';
import { packagesFromLayer } from './clair-fake-layers.ts';
import type { ClairFake, ClairFakeOptions, FakePackage } from './clair-fake-model.ts';

const HASH = /^sha256:[a-f0-9]{64}$/;

/** The index_state as Clair sends it in ETag and compares with If-None-Match. */
export const tag = (fake: ClairFake): string => `"${fake.state}"`;

/** GET index_state. */
export function indexState(fake: ClairFake, res: ServerResponse): void {
  send(res, 200, { state: fake.state }, { etag: tag(fake) });
}

/** POST index_report. */
export async function postIndexReport(
  fake: ClairFake,
  options: ClairFakeOptions,
  req: IncomingMessage,
  res: ServerResponse,
  text: string,
): Promise<void> {
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
  if (req.headers['if-none-match'] === tag(fake)) return send(res, 412, undefined, { etag: tag(fake) });
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
    etag: tag(fake),
    location: `/indexer/api/v1/index_report/${hash}`,
    link: `</matcher/api/v1/vulnerability_report/${hash}>; rel="alternate"`,
  });
}

/** GET index_report/<hash>. */
export function getIndexReport(fake: ClairFake, req: IncomingMessage, res: ServerResponse, id: string): void {
  // Clair compares the validator before looking the manifest up
  if (req.headers['if-none-match'] === tag(fake)) {
    send(res, 304, undefined, { etag: tag(fake) });
    return;
  }
  const stored = fake.reports.get(id);
  if (!stored) {
    error(res, 404, 'not-found', 'index report not found');
    return;
  }
  send(res, 200, stored.report, { etag: tag(fake) });
}

/** DELETE index_report/<hash>, or DELETE index_report with a JSON list of hashes. */
export function deleteIndexReport(fake: ClairFake, res: ServerResponse, id: string, text: string): void {
  if (id) {
    fake.reports.delete(id);
    send(res, 204);
    return;
  }
  const hashes = JSON.parse(text || '[]') as string[];
  send(
    res,
    200,
    hashes.filter((h) => fake.reports.delete(h)),
  );
}
