// The local scan driver over an inventory snapshot, against the Clair fake and synthetic
// images whose layers the fake really fetches.
import { afterEach, describe, expect, it } from 'vitest';
import type { VulnerabilityFinding } from '../../../../core/findings/Finding.ts';
import { VULN_FINDINGS } from '../../../../functions/scan/findings.ts';
import { SCAN_RESULTS, type ScanResult } from '../../../../functions/scan/ScanResult.ts';
import { scanInventory } from '../../../../functions/scan/scanInventory.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from './scan-fixtures.ts';

let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const HOUR = 3_600_000;

/** Three digests: two builds of `app` (both with openssl) and one of `web`; app v1 runs on many hosts. */
async function fleet(w: ScanWorld) {
  const base = packagesLayer([{ name: 'zlib', version: '1.2' }]);
  const d1 = w.images.addImage([base, packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
  const d2 = w.images.addImage([base, packagesLayer([{ name: 'openssl', version: '3.0.2' }])]);
  const d3 = w.images.addImage([packagesLayer([{ name: 'curl', version: '8.0' }])]);
  const app = `${w.registry}/team/app`;
  const web = `${w.registry}/team/web`;
  const items = [
    item(app, d1, { hosts: { count: 40, sample: ['h1', 'h2', 'h3'] }, containers: 120 }),
    item(app, d2, { hosts: { count: 1, sample: ['h9'] }, containers: 1 }),
    item(web, d3, { owner: { address: 'web@example.org', rule: 'host-owner', detail: 'web-*' } }),
    // the same digest reported again (e.g. under another reference): scanned once
    item(app, d1, { id: 'dup', hosts: { count: 5, sample: ['h4'] } }),
    item(app, '', { id: 'unresolved:team/app:broken', digest: undefined }),
  ];
  return { d1, d2, d3, app, web, snap: snapshot(items) };
}

describe('scanInventory', () => {
  it('reports progress as each unique digest finishes, out of the unique digests', async () => {
    // Prepare
    world = await scanWorld();
    const { snap } = await fleet(world);
    const seen: Array<[number, number]> = [];
    // Act
    await scanInventory(snap, world.ports, { onProgress: (done, total) => seen.push([done, total]) });
    // Assess: the three unique digests, once each; the duplicate and unresolved items are not counted
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('indexes each unique digest once and stores results and merged findings', async () => {
    // Prepare
    world = await scanWorld();
    const { d1, d2, d3, app, snap } = await fleet(world);
    // Act
    const result = await scanInventory(snap, world.ports);
    // Assess
    expect(result).toMatchObject({
      digests: 3,
      unresolved: 1,
      scanned: 3,
      indexed: 3,
      failed: 0,
      problems: [],
    });
    expect(world.fake.calls.post_index_report).toBe(3);
    expect(world.fake.calls.index_state).toBe(1);
    const stored = await world.store.get<ScanResult>(SCAN_RESULTS, d1);
    expect(stored).toMatchObject({
      status: 'scanned',
      manifestHash: d1,
      indexState: '"state-1"',
      attempts: 1,
    });
    expect(stored?.summary).toMatchObject({ packages: 2, vulnerabilities: 2, fixable: 1 });
    const openssl = await world.store.get<VulnerabilityFinding>(
      VULN_FINDINGS,
      `vuln|${app}|CVE-2026-0001|openssl`,
    );
    expect(openssl).toMatchObject({
      digests: [d1, d2].sort(),
      severity: 'Critical',
      fixedIn: '3.0.9',
      package: { name: 'openssl', version: '3.0.1, 3.0.2' },
      where: { hostCount: 46, containers: 124 },
      recipient: { address: 'team@example.org' },
    });
    expect(result.findings).toBe(3); // openssl and zlib in app, curl in web
    expect((await world.store.list(VULN_FINDINGS)).map((r) => r.key)).toContain(
      `vuln|${app}|CVE-2026-0002|zlib`,
    );
    expect(await world.store.get(SCAN_RESULTS, d3)).toMatchObject({ status: 'scanned' });
  });

  it('second run makes zero index POSTs; an expired report is read again', async () => {
    world = await scanWorld();
    const { snap } = await fleet(world);
    await scanInventory(snap, world.ports);
    const before = { ...world.fake.calls };
    // Act: same state, reports still fresh
    const second = await scanInventory(snap, world.ports);
    // Assess
    expect(world.fake.calls.post_index_report).toBe(before.post_index_report);
    expect(world.fake.calls.get_index_report - before.get_index_report).toBe(3);
    expect(world.fake.calls.vulnerability_report).toBe(before.vulnerability_report);
    expect(second).toMatchObject({ scanned: 3, indexed: 0, cached: 3, findings: 3, findingsRemoved: 0 });
    // Act: past the report's max-age (6 h)
    world.clock.advance(7 * HOUR);
    const third = await scanInventory(snap, world.ports);
    expect(third).toMatchObject({ scanned: 3, indexed: 0, cached: 0 });
    expect(world.fake.calls.post_index_report).toBe(before.post_index_report);
    expect(world.fake.calls.vulnerability_report - before.vulnerability_report).toBe(3);
  });

  it('re-indexes everything when the indexer state changes', async () => {
    world = await scanWorld();
    const { d1, snap } = await fleet(world);
    await scanInventory(snap, world.ports);
    world.fake.setState('state-2');
    // Act
    const result = await scanInventory(snap, world.ports);
    // Assess
    expect(result.indexed).toBe(3);
    expect(world.fake.calls.post_index_report).toBe(6);
    expect(await world.store.get(SCAN_RESULTS, d1)).toMatchObject({ indexState: '"state-2"' });
  });

  it('on 429 lowers its concurrency, backs off with jitter and still scans every digest', async () => {
    // Prepare: Clair takes 2 index requests at a time, we start with 6
    world = await scanWorld({ indexConcurrency: 2, latencyMs: 40 });
    const layers = Array.from({ length: 8 }, (_, i) => packagesLayer([{ name: 'curl', version: `8.${i}` }]));
    const items = layers.map((l, i) =>
      item(`${world?.registry}/team/svc${i}`, world?.images.addImage([l]) ?? ''),
    );
    // Act
    const result = await scanInventory(snapshot(items), world.ports, {
      concurrency: 6,
      random: () => 0.5,
      sleep: world.sleep,
    });
    // Assess
    expect(result.scanned).toBe(8);
    expect(world.fake.calls.post_index_report).toBe(8);
    expect(world.fake.calls.throttled).toBeGreaterThan(0);
    expect(result.throttles).toBe(world.fake.calls.throttled);
    expect(result.minConcurrency).toBeLessThan(6);
    expect(world.sleeps.length).toBeGreaterThanOrEqual(result.throttles);
  });

  it('never has more index requests in flight than its concurrency, though report reads overlap them', async () => {
    world = await scanWorld({ indexConcurrency: 2, latencyMs: 30 });
    const items = Array.from({ length: 6 }, (_, i) =>
      item(
        `${world?.registry}/team/s${i}`,
        world?.images.addImage([packagesLayer([{ name: 'zlib', version: `${i}` }])]) ?? '',
      ),
    );
    const result = await scanInventory(snapshot(items), world.ports, { concurrency: 2, sleep: world.sleep });
    expect(result).toMatchObject({ scanned: 6, indexed: 6, throttles: 0 });
    expect(world.fake.calls.throttled).toBe(0);
  });

  it('gives up on a digest Clair keeps throttling and reports it, the run goes on', async () => {
    world = await scanWorld();
    const { d1, snap } = await fleet(world);
    world.fake.failNext('post_index_report', 100, 429);
    const result = await scanInventory(snap, world.ports, {
      throttleRetries: 2,
      concurrency: 1,
      sleep: world.sleep,
    });
    expect(result.throttled).toBe(3);
    expect(result.problems).toContainEqual(expect.objectContaining({ digest: d1, status: 'throttled' }));
    expect(await world.store.get(SCAN_RESULTS, d1)).toMatchObject({
      status: 'throttled',
      error: expect.stringMatching(/429/),
    });
  });

  it('retries a not-ready (202) report later in the run, then leaves it pending for the next run', async () => {
    world = await scanWorld();
    const { d1, snap } = await fleet(world);
    world.fake.notReady = true;
    // Act
    const first = await scanInventory(snap, world.ports, {
      notReadyRetries: 2,
      notReadyDelayMs: 1234,
      sleep: world.sleep,
    });
    // Assess
    expect(first).toMatchObject({ pending: 3, scanned: 0, indexed: 3 });
    expect(world.fake.calls.vulnerability_report).toBe(9);
    expect(world.sleeps.filter((ms) => ms === 1234)).toHaveLength(6);
    expect(await world.store.get(SCAN_RESULTS, d1)).toMatchObject({ status: 'pending', attempts: 3 });
    // Act: the matcher has data now
    world.fake.notReady = false;
    const second = await scanInventory(snap, world.ports);
    expect(second).toMatchObject({ scanned: 3, indexed: 0 });
  });

  it('reports a digest that fails with its reason, scans the others, and retries it next run', async () => {
    world = await scanWorld();
    const { snap } = await fleet(world);
    const gone = `sha256:${'9'.repeat(64)}`;
    snap.items.push(item(`${world.registry}/team/gone`, gone));
    // Act
    const first = await scanInventory(snap, world.ports);
    // Assess
    expect(first).toMatchObject({ digests: 4, scanned: 3, failed: 1 });
    expect(first.problems).toEqual([
      {
        digest: gone,
        repository: `${world.registry}/team/gone`,
        status: 'failed',
        reason: expect.stringMatching(/not found/),
      },
    ]);
    await scanInventory(snap, world.ports);
    expect(await world.store.get(SCAN_RESULTS, gone)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('removes findings no in-use digest carries any more and keeps detectedAt of the rest', async () => {
    world = await scanWorld();
    const { snap, web, app } = await fleet(world);
    await scanInventory(snap, world.ports);
    world.clock.advance(HOUR);
    const withoutWeb = snapshot(snap.items.filter((i) => i.repository !== web));
    // Act
    const result = await scanInventory(withoutWeb, world.ports);
    // Assess
    expect(result.findingsRemoved).toBe(1);
    expect(await world.store.get(VULN_FINDINGS, `vuln|${web}|CVE-2026-0003|curl`)).toBeUndefined();
    expect(await world.store.get(VULN_FINDINGS, `vuln|${app}|CVE-2026-0001|openssl`)).toMatchObject({
      detectedAt: '2026-01-02T00:00:00.000Z',
    });
  });

  it('finishes the digest in flight when the run is aborted, stores it, and reports the rest', async () => {
    world = await scanWorld();
    const { d1, snap } = await fleet(world);
    const controller = new AbortController();
    const scanner = world.ports.scanner;
    const ports = {
      ...world.ports,
      scanner: {
        indexState: () => scanner.indexState(),
        checkIndexReport: (hash: string, state: string | undefined) => scanner.checkIndexReport(hash, state),
        vulnerabilityReport: (hash: string) => scanner.vulnerabilityReport(hash),
        notificationPage: scanner.notificationPage.bind(scanner),
        deleteNotification: scanner.deleteNotification.bind(scanner),
        index: async (...args: Parameters<typeof scanner.index>) => {
          const outcome = await scanner.index(...args);
          controller.abort(); // e.g. SIGTERM while the first image was being indexed
          return outcome;
        },
      },
    };
    // Act
    const result = await scanInventory(snap, ports, { concurrency: 1, signal: controller.signal });
    // Assess
    expect(result.scanned).toBe(1);
    expect(result.failed).toBe(2);
    expect(result.problems.every((p) => p.reason === 'run aborted before this digest')).toBe(true);
    expect(await world.store.get(SCAN_RESULTS, d1)).toMatchObject({ status: 'scanned' });
    expect(result.findingsRemoved).toBe(0);
  });
});
