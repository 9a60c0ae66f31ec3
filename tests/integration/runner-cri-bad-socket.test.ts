// Bad input for the CRI adapter: a socket nobody listens on, a socket that speaks HTTP/1 (a
// Docker daemon is the usual mistake), a runtime that does not serve runtime.v1 (answers
// UNIMPLEMENTED, as an old v1alpha2-only runtime does; cri-fake), and one that never
// answers (cri-fake): each is a clear error that names the socket.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { CriImageRuntime } from '../../runner/runtime/CriImageRuntime.ts';
import { CriFake } from '../support/cri-fake.ts';

describe('CRI adapter against sockets that are not a working CRI', () => {
  let dir: string;
  let http: Server;
  let httpSocket: string;

  beforeAll(async () => {
    dir = await mkdtemp('/tmp/icb-');
    httpSocket = join(dir, 'docker.sock');
    http = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('page not found');
    });
    await new Promise<void>((resolve) => http.listen(httpSocket, resolve));
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('names the socket when nothing listens on it', async () => {
    // Prepare
    const socket = join(dir, 'missing.sock');
    const runtime = new CriImageRuntime({ socket, callTimeoutMs: 5000 });

    // Act
    const info = runtime.info();

    // Assess
    await expect(info).rejects.toBeInstanceOf(UpstreamError);
    await expect(info).rejects.toThrow(`CRI ${socket}: version: runtime unreachable`);
    runtime.close();
  });

  it('names the socket when it speaks HTTP/1 instead of gRPC', async () => {
    const runtime = new CriImageRuntime({ socket: httpSocket, callTimeoutMs: 5000 });
    const info = runtime.info();
    await expect(info).rejects.toBeInstanceOf(UpstreamError);
    await expect(info).rejects.toThrow(
      `CRI ${httpSocket}: version: the socket answers but not with gRPC: not a CRI socket`,
    );
    runtime.close();
  });

  it('says the runtime does not serve runtime.v1 when it answers UNIMPLEMENTED (cri-fake)', async () => {
    // Prepare
    const fake = await CriFake.start({ serve: 'none' });
    const runtime = new CriImageRuntime({ socket: fake.socket });

    // Act
    const listing = runtime.listImages();

    // Assess
    await expect(listing).rejects.toThrow(
      `CRI ${fake.socket}: list images: the runtime does not serve the CRI runtime.v1 API (UNIMPLEMENTED`,
    );
    await expect(listing).rejects.toThrow(/v1alpha2: upgrade the runtime/);
    runtime.close();
    await fake.stop();
  });

  it('gives up at the deadline when the runtime never answers, naming the socket (cri-fake)', async () => {
    // Prepare
    const fake = await CriFake.start({ hang: ['ListImages'] });
    const runtime = new CriImageRuntime({ socket: fake.socket, callTimeoutMs: 300 });

    // Act
    const listing = runtime.listImages();

    // Assess
    await expect(listing).rejects.toThrow(`CRI ${fake.socket}: list images: no answer before the deadline`);
    expect(fake.calls).toEqual(['ListImages']);
    runtime.close();
    await fake.stop();
  });
});
