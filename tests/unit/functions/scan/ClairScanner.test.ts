// The Clair adapter against the Clair v4 protocol fake (a real HTTP server on loopback).
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../core/errors.ts';
import { signHs256 } from '../../../../core/jwt.ts';
import { ClairScanner } from '../../../../functions/scan/ClairScanner.ts';
import { IndexFailedError, IndexRejectedError, ThrottledError } from '../../../../functions/scan/errors.ts';
import { scanDigest } from '../../../../functions/scan/scanDigest.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { type ScanWorld, scanWorld } from './scan-fixtures.ts';

const PSK = Buffer.from('clair-psk-for-tests');
let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function manifestFor(w: ScanWorld, digest: string) {
  const resolved = await w.images.resolvePlatformManifest({ digest });
  return {
    hash: resolved.digest,
    layers: await Promise.all(
      resolved.manifest.layers.map(async (l) => ({
        hash: l.digest,
        uri: (await w.images.resolveBlobLocation('', '', l.digest)).url,
        headers: {},
      })),
    ),
  };
}

describe('ClairScanner against the Clair fake', () => {
  it('indexes (201 + ETag), then reads a 200 report with Cache-Control', async () => {
    // Prepare
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
    const scanner = world.ports.scanner;
    // Act
    const indexed = await scanner.index(await manifestFor(world, digest));
    const report = await scanner.vulnerabilityReport(digest);
    // Assess
    expect(indexed).toMatchObject({
      status: 'indexed',
      etag: '"state-1"',
      report: { state: 'IndexFinished' },
    });
    expect(report).toMatchObject({ status: 'ready', maxAgeMs: 21_600_000 });
    expect(report.status === 'ready' && report.report.vulnerabilities[0]?.vulnerability).toBe(
      'CVE-2026-0001',
    );
    expect(world.fake.calls.layer_fetch).toBe(1);
  });

  it('checkIndexReport: 404 missing, 304 current for the same state, stale once the state changed', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'zlib', version: '1' }])]);
    const scanner = world.ports.scanner;
    expect(await scanner.checkIndexReport(digest, undefined)).toEqual({ status: 'missing' });
    const { etag } = (await scanner.index(await manifestFor(world, digest))) as { etag: string };
    expect(await scanner.checkIndexReport(digest, etag)).toMatchObject({ status: 'current' });
    world.fake.setState('state-2');
    expect(await scanner.checkIndexReport(digest, etag)).toEqual({ status: 'stale', etag: '"state-2"' });
    expect(await scanner.indexState()).toBe('"state-2"');
  });

  it('412 on If-None-Match = current state means unchanged', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'zlib', version: '1' }])]);
    const outcome = await world.ports.scanner.index(await manifestFor(world, digest), {
      ifNoneMatch: '"state-1"',
    });
    expect(outcome).toEqual({ status: 'unchanged', etag: '"state-1"' });
  });

  it('an empty layer list is refused with 400 as IndexRejectedError', async () => {
    world = await scanWorld();
    await expect(world.ports.scanner.index({ hash: `sha256:${'1'.repeat(64)}`, layers: [] })).rejects.toThrow(
      IndexRejectedError,
    );
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    [
      'an empty hash',
      JSON.stringify({ hash: '', layers: [{ hash: 'sha256:x', uri: 'http://x', headers: {} }] }),
    ],
    ['no layers', JSON.stringify({ hash: `sha256:${'5'.repeat(64)}` })],
  ])('the fake answers 400 with a Clair error body to %s', async (_what, body) => {
    world = await scanWorld();
    const res = await fetch(`${world.fake.url}/indexer/api/v1/index_report`, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'bad-request' });
  });

  it('a layer that is not a tar is refused with 400, and scanDigest reports the image as rejected', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([Buffer.from('this is not a tar archive at all')]);
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/odd` }, world.ports);
    expect(scan.result).toMatchObject({ status: 'rejected', error: expect.stringMatching(/not a tar/) });
  });

  it('a layer Clair cannot fetch ends in 500 + IndexError as IndexFailedError naming the cause', async () => {
    world = await scanWorld();
    const manifest = {
      hash: `sha256:${'2'.repeat(64)}`,
      layers: [{ hash: `sha256:${'3'.repeat(64)}`, uri: `${world.blobs.url}/v2/blobs/nope`, headers: {} }],
    };
    const error = await world.ports.scanner.index(manifest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexFailedError);
    expect(String(error)).toMatch(/unexpected status 404/);
    expect(world.fake.reports.get(manifest.hash)?.report.state).toBe('IndexError');
    // an IndexError report must be indexed again, not trusted
    expect(await world.ports.scanner.checkIndexReport(manifest.hash, undefined)).toEqual({
      status: 'missing',
    });
  });

  it('429 is thrown as ThrottledError at once, without retrying', async () => {
    world = await scanWorld();
    world.fake.failNext('post_index_report', 1, 429);
    await expect(world.ports.scanner.index({ hash: `sha256:${'4'.repeat(64)}`, layers: [] })).rejects.toThrow(
      ThrottledError,
    );
    expect(world.fake.calls.post_index_report).toBe(1);
    expect(world.sleeps).toEqual([]);
  });

  it('retries 5xx with jittered backoff, then gives up with UpstreamError', async () => {
    world = await scanWorld();
    world.fake.failNext('index_state', 1, 503);
    expect(await world.ports.scanner.indexState()).toBe('"state-1"');
    expect(world.sleeps).toHaveLength(1);
    world.fake.failNext('index_state', 5, 502);
    await expect(world.ports.scanner.indexState()).rejects.toThrow(UpstreamError);
    expect(world.fake.calls.index_state).toBe(5);
  });

  it('treats a timeout as retryable and reports it', async () => {
    world = await scanWorld({ latencyMs: 200 });
    const scanner = new ClairScanner({
      url: world.fake.url,
      requestTimeoutMs: 50,
      attempts: 2,
      sleep: async () => {},
    });
    await expect(scanner.indexState()).rejects.toThrow(/timed out/);
  });

  it('vulnerability report: 202 while not ready, 404 when never indexed', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'curl', version: '8.0' }])]);
    expect(await world.ports.scanner.vulnerabilityReport(digest)).toEqual({ status: 'missing' });
    await world.ports.scanner.index(await manifestFor(world, digest));
    world.fake.notReady = true;
    expect(await world.ports.scanner.vulnerabilityReport(digest)).toEqual({ status: 'not-ready' });
  });

  describe('PSK auth', () => {
    it('sends a JWT the fake accepts', async () => {
      world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
      expect(await world.ports.scanner.indexState()).toBe('"state-1"');
      expect(world.fake.calls.unauthorized).toBe(0);
    });

    it.each([
      ['a bad signature', signHs256({ iss: 'imagewarden' }, Buffer.from('wrong key'))],
      ['a wrong issuer', signHs256({ iss: 'someone-else' }, PSK)],
      ['an expired token', signHs256({ iss: 'imagewarden', exp: Math.floor(Date.now() / 1000) - 60 }, PSK)],
    ])('the fake answers a bare 401 to %s', async (_what, token) => {
      world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
      const res = await fetch(`${world.fake.url}/indexer/api/v1/index_state`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('');
    });

    it('a scanner with the wrong key gets an UpstreamError naming the psk setting, no retries', async () => {
      world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
      const scanner = new ClairScanner({
        url: world.fake.url,
        psk: Buffer.from('nope'),
        sleep: async () => {},
      });
      await expect(scanner.indexState()).rejects.toThrow(/401; check scan.clair.psk/);
      expect(world.fake.calls.unauthorized).toBe(1);
    });
  });
});
