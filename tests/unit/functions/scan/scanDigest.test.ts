// The scan step for one digest (what the SQS worker runs), against the Clair fake.
import { afterEach, describe, expect, it } from 'vitest';
import { RENOTIFY } from '../../../../functions/scan/notifications.ts';
import { SCAN_RESULTS } from '../../../../functions/scan/ScanResult.ts';
import { scanDigest } from '../../../../functions/scan/scanDigest.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { type ScanWorld, scanWorld } from './scan-fixtures.ts';

let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const openssl = () => packagesLayer([{ name: 'openssl', version: '3.0.1' }]);

describe('scanDigest', () => {
  it('fetches the indexer state itself when run alone, indexes, reads and stores the report', async () => {
    // Prepare
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    // Act
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/app` }, world.ports);
    // Assess
    expect(scan).toMatchObject({ indexed: true, cached: false, result: { status: 'scanned' } });
    expect(world.fake.calls.index_state).toBe(1);
    expect(await world.store.get(SCAN_RESULTS, digest)).toEqual(scan.result);
    expect(scan.result.vulnerabilities).toEqual([
      expect.objectContaining({ vulnerability: 'CVE-2026-0001', severity: 'Critical', fixedIn: '3.0.9' }),
    ]);
  });

  it('submits the platform manifest of a multi-arch index and records both digests', async () => {
    world = await scanWorld();
    const platform = world.images.addImage([openssl()]);
    const index = world.images.addIndex(platform);
    const scan = await scanDigest({ digest: index, repository: `${world.registry}/team/app` }, world.ports);
    expect(scan.result).toMatchObject({
      status: 'scanned',
      digest: index,
      indexDigest: index,
      manifestHash: platform,
    });
    expect(world.fake.posted).toEqual([expect.objectContaining({ hash: platform })]);
    expect(world.fake.reports.has(index)).toBe(false);
  });

  it('sends the registry Authorization Clair needs to fetch layers, asking for it once per image', async () => {
    world = await scanWorld({ blobAuthorization: 'Bearer registry-token' });
    const digest = world.images.addImage([openssl(), packagesLayer([{ name: 'zlib', version: '1' }])]);
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/app` }, world.ports);
    expect(scan.result.status).toBe('scanned');
    expect(world.images.calls.authorization).toBe(1);
    const posted = world.fake.posted[0] as { layers: Array<{ headers: Record<string, string[]> }> };
    expect(posted.layers.map((l) => l.headers.Authorization)).toEqual([
      ['Bearer registry-token'],
      ['Bearer registry-token'],
    ]);
  });

  it("reports an image whose layers Clair cannot fetch (wrong credentials) as failed with Clair's reason", async () => {
    world = await scanWorld({ blobAuthorization: 'Bearer registry-token' });
    const digest = world.images.addImage([openssl()]);
    // the registry is named differently from the blob host, so no credentials are attached
    const scan = await scanDigest({ digest, repository: 'registry.example/team/app' }, world.ports);
    expect(scan.result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/unexpected status 401/),
    });
  });

  it('an image without layers is rejected as a problem of the image, without calling the indexer', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([]);
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/empty` }, world.ports);
    expect(scan.result).toMatchObject({ status: 'rejected', error: expect.stringMatching(/no layers/) });
    expect(world.fake.calls.post_index_report).toBe(0);
  });

  it('re-indexes once when Clair says current (304) but has lost the report (404)', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    const target = { digest, repository: `${world.registry}/team/app` };
    await scanDigest(target, world.ports);
    world.fake.reports.clear();
    world.clock.advance(7 * 3_600_000);
    // Act
    const scan = await scanDigest(target, world.ports);
    // Assess
    expect(scan).toMatchObject({ indexed: true, result: { status: 'scanned' } });
    expect(world.fake.calls.post_index_report).toBe(2);
  });

  it('keeps the last report through a failure, counts attempts, and clears the error on success', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    const target = { digest, repository: `${world.registry}/team/app` };
    await scanDigest(target, world.ports);
    world.clock.advance(7 * 3_600_000);
    world.fake.failNext('vulnerability_report', 3, 503);
    // Act
    const failed = await scanDigest(target, world.ports);
    // Assess
    expect(failed.result).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: expect.stringMatching(/503/),
    });
    expect(failed.result.vulnerabilities).toHaveLength(1);
    const again = await scanDigest(target, world.ports);
    expect(again.result.status).toBe('scanned');
    expect(again.result.error).toBeUndefined();
    expect(again.result.attempts).toBe(1);
  });

  it('reads the report again, though still fresh, when the notifier marked the manifest', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    const target = { digest, repository: `${world.registry}/team/app` };
    await scanDigest(target, world.ports);
    await world.store.put(RENOTIFY, digest, { manifest: digest, markedAt: world.clock.now().toISOString() });
    const scan = await scanDigest(target, world.ports);
    expect(scan).toMatchObject({ cached: false, indexed: false });
    expect(world.fake.calls.vulnerability_report).toBe(2);
    // the mark is done once the report was read again; the next scan reuses the fresh report
    expect(await world.store.get(RENOTIFY, digest)).toBeUndefined();
    expect(await scanDigest(target, world.ports)).toMatchObject({ cached: true });
  });

  it('reads a report with unknown fields, an invalid severity, a huge description and missing maps', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    world.fake.rewriteReport = (body) => {
      const vulns = body.vulnerabilities as Record<string, Record<string, unknown>>;
      for (const v of Object.values(vulns)) {
        v.normalized_severity = 'Apocalyptic';
        v.description = 'x'.repeat(500_000);
        v.cvss_v4 = { score: 10 };
      }
      const { distributions: _d, environments: _e, enrichments: _n, ...rest } = body;
      return { ...rest, added_in_claircore_9: true };
    };
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/app` }, world.ports);
    expect(scan.result.status).toBe('scanned');
    expect(scan.result.vulnerabilities[0]).toMatchObject({
      vulnerability: 'CVE-2026-0001',
      severity: 'Unknown',
    });
    expect(scan.result.vulnerabilities[0]?.description?.length).toBeLessThan(2100);
  });

  it('reports a report that is not a report (e.g. a proxy page) as failed, keeping the run alive', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    world.fake.rewriteReport = () => ['not', 'a', 'report'];
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/app` }, world.ports);
    expect(scan.result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/unreadable report/),
    });
  });

  it('keeps a notifier mark written after the report read started', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    const target = { digest, repository: `${world.registry}/team/app` };
    const later = new Date(world.clock.now().getTime() + 60_000).toISOString();
    await world.store.put(RENOTIFY, digest, { manifest: digest, markedAt: later });
    await scanDigest(target, world.ports);
    expect(await world.store.get(RENOTIFY, digest)).toMatchObject({ markedAt: later });
  });

  it('reports Clair being unreachable as a failed digest, not an exception', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([openssl()]);
    await world.fake.stop();
    const scan = await scanDigest({ digest, repository: `${world.registry}/team/app` }, world.ports);
    expect(scan.result).toMatchObject({ status: 'failed', error: expect.stringMatching(/index_state/) });
  });
});
