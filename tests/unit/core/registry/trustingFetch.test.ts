// The registry's fetch for `registry.caFile` (node:https with the bundle), against a real
// HTTPS server whose certificate comes from a throwaway openssl CA: what RegistryTransport
// reads from a response, and the errors it maps (certificate codes, timeouts) shaped as
// fetch shapes them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrusting } from '../../../../core/registry/trustingFetch.ts';
import { makeTestCa, type TestCa } from '../../../support/test-ca.ts';

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let server: Server;
let base: string;
const seen: IncomingMessage[] = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  seen.push(req);
  if (req.url === '/redirect') {
    res.writeHead(307, { location: 'https://storage.example/blob' }).end('moved');
  } else if (req.url === '/silent') {
    // never answers: the caller's signal has to end it
  } else {
    res.writeHead(200, { 'content-type': 'application/json', 'docker-content-digest': 'sha256:abc' });
    res.end(JSON.stringify({ path: req.url, method: req.method }));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iw-trusting-'));
  ca = makeTestCa(join(mkdtempSync(join(dir, 'a-'))));
  otherCa = makeTestCa(join(mkdtempSync(join(dir, 'b-'))));
  server = createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const trusting = () => fetchTrusting([readFileSync(ca.caFile, 'utf8')]);

describe('fetchTrusting', () => {
  it('trusts a server certified by the bundle: status, headers, body and the request headers sent', async () => {
    // Act
    const res = await trusting()(new URL(`${base}/v2/app/manifests/1`), {
      method: 'GET',
      redirect: 'manual',
      headers: { accept: 'application/vnd.oci.image.index.v1+json', authorization: 'Bearer t' },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe('sha256:abc');
    expect(JSON.parse(new TextDecoder().decode(await res.arrayBuffer()))).toEqual({
      path: '/v2/app/manifests/1',
      method: 'GET',
    });
    const request = seen.at(-1);
    expect(request?.headers.accept).toBe('application/vnd.oci.image.index.v1+json');
    expect(request?.headers.authorization).toBe('Bearer t');
  });

  it('answers HEAD without a body and hands redirects back unfollowed', async () => {
    // Act
    const head = await trusting()(`${base}/v2/app/manifests/1`, { method: 'HEAD', redirect: 'manual' });
    const redirect = await trusting()(`${base}/redirect`, { method: 'GET', redirect: 'manual' });

    // Assess
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('https://storage.example/blob');
    await redirect.body?.cancel();
  });

  it('refuses a server certified by another CA as fetch does: TypeError whose cause has the code', async () => {
    // Prepare: a bundle with another CA only
    const fetchOther = fetchTrusting([readFileSync(otherCa.caFile, 'utf8')]);

    // Act
    const error = await fetchOther(`${base}/v2/`, { redirect: 'manual' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    expect(((error as Error).cause as { code?: string }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it("rejects with the signal's reason when it aborts before the answer", async () => {
    // Prepare
    const controller = new AbortController();
    const pending = trusting()(`${base}/silent`, { redirect: 'manual', signal: controller.signal });
    await expect.poll(() => seen.at(-1)?.url).toBe('/silent');

    // Act
    controller.abort(new DOMException('deadline', 'TimeoutError'));

    // Assess
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError', message: 'deadline' });
  });

  it('speaks plain HTTP too (insecure registries on the same client)', async () => {
    // Prepare
    const plain = createHttpServer(answer);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      // Act
      const res = await trusting()(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/v2/`, {
        redirect: 'manual',
      });

      // Assess
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: '/v2/', method: 'GET' });
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('refuses what the registry transport never asks for, rather than doing it differently', async () => {
    // Act / Assess
    await expect(trusting()(`${base}/v2/`)).rejects.toThrow("the registry fetch needs redirect: 'manual'");
    await expect(
      trusting()(`${base}/v2/`, { method: 'POST', body: 'x', redirect: 'manual' }),
    ).rejects.toThrow('the registry fetch sends no request body');
  });
});
