import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../../../core/errors.ts';
import { parseImageReference } from '../../../../core/image-reference.ts';
import { CredentialStore } from '../../../../core/registry/credentials.ts';
import { MediaType } from '../../../../core/registry/mediaTypes.ts';
import { RegistryClient, type RegistryClientOptions } from '../../../../core/registry/RegistryClient.ts';
import { type FakeServer, send, startFake } from './fake-server.ts';

const sha = (s: string | Uint8Array): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const CONFIG = JSON.stringify({
  created: '2026-03-01T10:00:00Z',
  os: 'linux',
  architecture: 'amd64',
  config: { Labels: { owner: 'team-a' } },
});
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.dockerManifest,
  config: { mediaType: MediaType.dockerConfig, size: CONFIG.length, digest: sha(CONFIG) },
  layers: [],
});
const MANIFEST_DIGEST = sha(MANIFEST);

let fakes: FakeServer[] = [];
afterEach(async () => {
  const closing = fakes;
  fakes = [];
  await Promise.all(closing.map((f) => f.close()));
  // every request the client made was one the scenario planned for
  expect(closing.flatMap((f) => f.unexpected)).toEqual([]);
});
async function fake(routes: Parameters<typeof startFake>[0]): Promise<FakeServer> {
  const server = await startFake(routes);
  fakes.push(server);
  return server;
}
function client(
  server: FakeServer,
  options: RegistryClientOptions = {},
): { client: RegistryClient; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    client: new RegistryClient({
      insecure: [server.host],
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...options,
    }),
  };
}
const ref = (server: FakeServer, rest = 'team/app:1.0') => parseImageReference(`${server.host}/${rest}`);

describe('RegistryClient against a fake registry', () => {
  it('resolves a tag to its digest with one HEAD carrying the full Accept list', async () => {
    // Prepare
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, '', {
          'docker-content-digest': MANIFEST_DIGEST,
          'content-type': MediaType.dockerManifest,
        }),
    });
    // Act
    const digest = await client(server).client.resolveDigest(ref(server));
    // Assess
    expect(digest).toBe(MANIFEST_DIGEST);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.method).toBe('HEAD');
    const accept = String(server.seen[0]?.headers.accept);
    for (const type of [
      MediaType.dockerManifest,
      MediaType.dockerManifestList,
      MediaType.ociManifest,
      MediaType.ociIndex,
    ]) {
      expect(accept).toContain(type);
    }
  });

  it('answers a digest-pinned reference without any request', async () => {
    const server = await fake({});
    const digest = await client(server).client.resolveDigest(ref(server, `team/app@${MANIFEST_DIGEST}`));
    expect(digest).toBe(MANIFEST_DIGEST);
    expect(server.seen).toHaveLength(0);
  });

  it('falls back to GET and hashes the bytes when HEAD has no Docker-Content-Digest', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (req, res) =>
        req.method === 'HEAD'
          ? send(res, 200, '')
          : send(res, 200, MANIFEST, { 'content-type': MediaType.dockerManifest }),
    });
    const digest = await client(server).client.resolveDigest(ref(server));
    expect(digest).toBe(MANIFEST_DIGEST);
    expect(server.count('/v2/team/app/manifests/1.0', 'GET')).toBe(1);
  });

  it('rejects a manifest whose bytes do not match Docker-Content-Digest', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, MANIFEST, {
          'content-type': MediaType.dockerManifest,
          'docker-content-digest': sha('something else'),
        }),
    });
    await expect(client(server).client.getManifest(ref(server))).rejects.toThrow(ValidationError);
    await expect(client(server).client.getManifest(ref(server))).rejects.toThrow(/digest mismatch/);
  });

  it('rejects a manifest that does not hash to the digest it was asked for', async () => {
    const wrong = sha('another manifest');
    const server = await fake({
      [`/v2/team/app/manifests/${wrong}`]: (_req, res) =>
        send(res, 200, MANIFEST, { 'content-type': MediaType.dockerManifest }),
    });
    await expect(client(server).client.getManifest(ref(server, `team/app@${wrong}`))).rejects.toThrow(
      /digest mismatch/,
    );
  });

  it('rejects truncated JSON with a ValidationError', async () => {
    const truncated = MANIFEST.slice(0, 40);
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, truncated, { 'content-type': MediaType.dockerManifest }),
    });
    const error = await client(server)
      .client.getManifest(ref(server))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toMatch(/not valid JSON/);
  });

  it('rejects an unknown media type, and a schema 1 manifest, with a ValidationError', async () => {
    const body = JSON.stringify({ schemaVersion: 1, name: 'team/app', fsLayers: [] });
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, body, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }),
      '/v2/team/app/manifests/2.0': (_req, res) =>
        send(res, 200, '{"schemaVersion":2}', { 'content-type': 'text/html' }),
    });
    const { client: c } = client(server);
    await expect(c.getManifest(ref(server))).rejects.toThrow(/unsupported media type/);
    await expect(c.getManifest(ref(server, 'team/app:2.0'))).rejects.toThrow(ValidationError);
  });

  it('rejects a manifest that fails the schema, naming the field', async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { digest: 'nope' },
      layers: [],
    });
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, body, { 'content-type': MediaType.ociManifest }),
    });
    await expect(client(server).client.getManifest(ref(server))).rejects.toThrow(/config\./);
  });

  it('gives NotFoundError for a missing manifest', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) => send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'),
    });
    await expect(client(server).client.resolveDigest(ref(server))).rejects.toThrow(NotFoundError);
  });

  it('stops a 401 loop: a 401 after a fresh token is an AuthError, with bounded requests', async () => {
    // Prepare: the token service hands out tokens, the registry refuses every one of them
    const server = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ token: 'abc', expires_in: 300 })),
      '/v2/': (_req, res) =>
        send(res, 401, '', { 'www-authenticate': `Bearer realm="${tokenUrl}",service="fake"` }),
    });
    const tokenUrl = `${server.url}/token`;
    // Act
    const error = await client(server)
      .client.resolveDigest(ref(server))
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(AuthError);
    expect(server.count('/v2/team/app/manifests')).toBe(2);
    expect(server.count('/token')).toBe(1);
    expect(server.seen[1]?.url).toContain('scope=repository%3Ateam%2Fapp%3Apull');
    expect(server.seen[2]?.headers.authorization).toBe('Bearer abc');
  });

  it('asks for Basic credentials when challenged and fails with AuthError when there are none', async () => {
    const server = await fake({
      '/v2/': (req, res) =>
        req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`
          ? send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST })
          : send(res, 401, '', { 'www-authenticate': 'Basic realm="fake"' }),
    });
    await expect(client(server).client.resolveDigest(ref(server))).rejects.toThrow(AuthError);
    const credentials = new CredentialStore([[server.host, { username: 'u', password: 'p' }]]);
    await expect(client(server, { credentials }).client.resolveDigest(ref(server))).resolves.toBe(
      MANIFEST_DIGEST,
    );
  });

  it('caches a token per registry and scope until it expires', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    let issued = 0;
    const server = await fake({
      '/token': (_req, res) =>
        send(res, 200, JSON.stringify({ access_token: `t${++issued}`, expires_in: 60 })),
      '/v2/': (req, res) =>
        req.headers.authorization?.startsWith('Bearer ')
          ? send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST })
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token",service="fake"` }),
    });
    const { client: c } = client(server, { clock });
    await c.resolveDigest(ref(server, 'team/app:1'));
    await c.resolveDigest(ref(server, 'team/app:2'));
    expect(server.count('/token')).toBe(1);
    await c.resolveDigest(ref(server, 'team/other:1'));
    expect(server.count('/token')).toBe(2);
    clock.advance(61_000);
    await c.resolveDigest(ref(server, 'team/app:3'));
    expect(server.count('/token')).toBe(3);
    expect(server.seen.at(-1)?.headers.authorization).toBe('Bearer t3');
  });

  it('replaces a token the registry no longer accepts, once', async () => {
    let issued = 0;
    const server = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ token: `t${++issued}`, expires_in: 3600 })),
      '/v2/': (req, res) =>
        req.headers.authorization === `Bearer t${issued}` && issued > 1
          ? send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST })
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token",service="fake"` }),
    });
    const { client: c } = client(server);
    // the first token is refused twice: a fresh one is fetched only once per request
    await expect(c.resolveDigest(ref(server, 'team/app:1'))).rejects.toThrow(AuthError);
    await expect(c.resolveDigest(ref(server, 'team/app:2'))).resolves.toBe(MANIFEST_DIGEST);
    expect(server.count('/token')).toBe(2);
  });

  it('retries a token service answering 503, then authenticates', async () => {
    let tokenCalls = 0;
    const server = await fake({
      '/token': (_req, res) =>
        ++tokenCalls === 1 ? send(res, 503, 'busy') : send(res, 200, JSON.stringify({ token: 'ok' })),
      '/v2/': (req, res) =>
        req.headers.authorization === 'Bearer ok'
          ? send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST })
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token",service="fake"` }),
    });
    const { client: c, sleeps } = client(server);
    await expect(c.resolveDigest(ref(server))).resolves.toBe(MANIFEST_DIGEST);
    expect(tokenCalls).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('rejects a token response without a token as a ValidationError', async () => {
    const server = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ expires_in: 60 })),
      '/v2/': (_req, res) => send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token"` }),
    });
    await expect(client(server).client.resolveDigest(ref(server))).rejects.toThrow(ValidationError);
  });

  it('gives the Authorization a third party needs: a Bearer token, or nothing for an anonymous registry', async () => {
    const secured = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ token: 'clair-token' })),
      '/v2/': (_req, res) =>
        send(res, 401, '', { 'www-authenticate': `Bearer realm="${secured.url}/token",service="s"` }),
    });
    const open = await fake({ '/v2/': (_req, res) => send(res, 200, '{}') });
    expect(await client(secured).client.authorization(secured.host, 'team/app')).toBe('Bearer clair-token');
    expect(secured.seen.find((s) => s.url.startsWith('/token'))?.url).toContain(
      'scope=repository%3Ateam%2Fapp%3Apull',
    );
    const anonymous = client(open).client;
    expect(await anonymous.authorization(open.host, 'team/app')).toBeUndefined();
    expect(await anonymous.authorization(open.host, 'team/other')).toBeUndefined();
    expect(open.count('/v2/')).toBe(1);
  });

  it('asks the token service once for many concurrent lookups in one repository', async () => {
    const server = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ token: 'shared', expires_in: 300 })),
      '/v2/': (req, res) =>
        req.headers.authorization === 'Bearer shared'
          ? send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST })
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token",service="fake"` }),
    });
    const { client: c } = client(server);
    await c.resolveDigest(ref(server, 'team/first:1')); // learns the realm
    const tags = Array.from({ length: 8 }, (_, i) => ref(server, `team/app:${i}`));
    const digests = await Promise.all(tags.map((t) => c.resolveDigest(t)));
    expect(digests).toEqual(tags.map(() => MANIFEST_DIGEST));
    expect(server.count('/token')).toBe(2);
    expect(server.count('/v2/team/app/manifests')).toBe(8);
  });

  it('stops a redirect loop with an UpstreamError', async () => {
    const server = await fake({
      '/v2/team/app/blobs/': (req, res) => send(res, 307, '', { location: req.url ?? '/' }),
    });
    const error = await client(server)
      .client.resolveBlobLocation(server.host, 'team/app', sha(CONFIG))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(String(error)).toMatch(/redirects/);
    expect(server.seen.length).toBeLessThanOrEqual(6);
  });

  it('retries 429 with backoff and then succeeds', async () => {
    let calls = 0;
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        ++calls === 1
          ? send(res, 429, 'slow down')
          : send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST }),
    });
    const { client: c, sleeps } = client(server);
    await expect(c.resolveDigest(ref(server))).resolves.toBe(MANIFEST_DIGEST);
    expect(calls).toBe(2);
    expect(sleeps).toEqual([125]); // full jitter: random 0.5 of the 250 ms first backoff
  });

  it('waits at least the Retry-After a throttling registry asks for', async () => {
    let calls = 0;
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        ++calls === 1
          ? send(res, 429, 'slow down', { 'retry-after': '3' })
          : send(res, 200, '', { 'docker-content-digest': MANIFEST_DIGEST }),
    });
    const { client: c, sleeps } = client(server);
    await expect(c.resolveDigest(ref(server))).resolves.toBe(MANIFEST_DIGEST);
    expect(sleeps).toEqual([3000]);
  });

  it('falls back to GET when a registry refuses HEAD (405)', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (req, res) =>
        req.method === 'HEAD'
          ? send(res, 405, '')
          : send(res, 200, MANIFEST, { 'content-type': MediaType.dockerManifest }),
    });
    await expect(client(server).client.resolveDigest(ref(server))).resolves.toBe(MANIFEST_DIGEST);
  });

  it('gives UpstreamError with the status once 503s exhaust the retries', async () => {
    const server = await fake({ '/v2/team/app/manifests/1.0': (_req, res) => send(res, 503, 'down') });
    const { client: c, sleeps } = client(server, { retries: 2 });
    const error = await c.resolveDigest(ref(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(503);
    expect((error as UpstreamError).host).toBe(server.host);
    expect(server.count('/v2/team/app/manifests/1.0')).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('times out a registry that never answers, as an UpstreamError', async () => {
    const server = await fake({ '/v2/team/app/manifests/1.0': () => undefined /* never answers */ });
    const { client: c } = client(server, { timeoutMs: 100, retries: 1 });
    const error = await c.resolveDigest(ref(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(String(error)).toMatch(/timed out after 100 ms/);
    expect(server.count('/v2/team/app/manifests/1.0')).toBe(2);
  });

  it('reports an unreachable registry as UpstreamError, and ping as not ok', async () => {
    const server = await fake({});
    await server.close();
    const { client: c } = client(server, { retries: 0 });
    await expect(c.resolveDigest(ref(server))).rejects.toThrow(UpstreamError);
    const ping = await c.ping(server.host);
    expect(ping.ok).toBe(false);
  });

  it('pings: 401 counts as up, a 404 for /v2/ does not', async () => {
    const up = await fake({
      '/v2/': (_req, res) => send(res, 401, '', { 'www-authenticate': 'Basic realm="x"' }),
    });
    const notRegistry = await fake({ '/': (_req, res) => send(res, 404, 'nothing here') });
    expect(await client(up).client.ping(up.host)).toEqual({ ok: true });
    const result = await client(notRegistry).client.ping(notRegistry.host);
    expect(result.ok).toBe(false);
  });

  it('follows a 307 to storage with Range bytes=0-0 and gives storage no registry credentials', async () => {
    const storage = await fake({ '/bucket/': (_req, res) => send(res, 206, 'x') });
    const server = await fake({
      '/token': (_req, res) => send(res, 200, JSON.stringify({ token: 'tok' })),
      '/v2/team/app/blobs/': (req, res) =>
        req.headers.authorization === 'Bearer tok'
          ? send(res, 307, '', { location: `${storage.url}/bucket/blob?sig=1` })
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${server.url}/token",service="fake"` }),
    });
    const location = await client(server).client.resolveBlobLocation(server.host, 'team/app', sha(CONFIG));
    expect(location).toEqual({ url: `${storage.url}/bucket/blob?sig=1`, headers: {} });
    expect(storage.seen[0]?.headers.range).toBe('bytes=0-0');
    expect(storage.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('probes a blob without downloading it when the registry ignores Range', async () => {
    // Prepare: a 1 GiB "blob" whose body never finishes; reading it would hit the timeout
    const server = await fake({
      '/v2/': (_req, res) => send(res, 200, '{}'),
      '/v2/team/app/blobs/': (_req, res) => {
        res.writeHead(200, { 'content-length': String(1024 ** 3) });
        res.write(Buffer.alloc(64 * 1024, 7));
      },
    });
    // Act
    const location = await client(server, { timeoutMs: 2_000, retries: 0 }).client.resolveBlobLocation(
      server.host,
      'team/app',
      sha(CONFIG),
    );
    // Assess
    expect(location).toEqual({ url: `${server.url}/v2/team/app/blobs/${sha(CONFIG)}`, headers: {} });
  });

  it('reads created and labels from the config blob, verifying its digest', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, MANIFEST, { 'content-type': MediaType.dockerManifest }),
      [`/v2/team/app/blobs/${sha(CONFIG)}`]: (_req, res) => send(res, 200, CONFIG),
    });
    const config = await client(server).client.getImageConfig(ref(server));
    expect(config).toEqual({
      created: '2026-03-01T10:00:00Z',
      labels: { owner: 'team-a' },
      os: 'linux',
      architecture: 'amd64',
    });
  });

  it('rejects a config blob whose bytes do not match its digest', async () => {
    const server = await fake({
      '/v2/team/app/manifests/1.0': (_req, res) =>
        send(res, 200, MANIFEST, { 'content-type': MediaType.dockerManifest }),
      [`/v2/team/app/blobs/${sha(CONFIG)}`]: (_req, res) =>
        send(res, 200, CONFIG.replace('team-a', 'team-b')),
    });
    await expect(client(server).client.getImageConfig(ref(server))).rejects.toThrow(/digest mismatch/);
  });
});

describe('RegistryClient credentials on redirects', () => {
  it('never sends the registry credentials over a redirect from https to plain http on the same host', async () => {
    // Prepare: an https registry with Basic auth whose blob redirects to http://<same host>
    const seen: { url: string; authorization: string | null }[] = [];
    const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : input);
      const authorization = new Headers(init?.headers).get('authorization');
      seen.push({ url: url.toString(), authorization });
      if (url.protocol === 'http:') return new Response('x', { status: 206 });
      if (!authorization)
        return new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
      return new Response(null, { status: 307, headers: { location: `http://${url.host}${url.pathname}` } });
    };
    const credentials = CredentialStore.fromDockerConfig(
      JSON.stringify({ auths: { 'reg.example': { username: 'robot', password: 'hunter2' } } }),
    );
    const registry = new RegistryClient({ credentials, fetch: fakeFetch as typeof fetch, retries: 0 });
    // Act
    const location = await registry.resolveBlobLocation('reg.example', 'team/app', sha(CONFIG));
    // Assess: the plain-http request and the location handed to Clair carry no credentials
    const plain = seen.filter((s) => s.url.startsWith('http:'));
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.map((s) => s.authorization)).toEqual(plain.map(() => null));
    expect(location.url).toMatch(/^http:\/\/reg\.example\//);
    expect(location.headers).toEqual({});
  });
});
