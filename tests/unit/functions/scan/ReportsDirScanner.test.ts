// The reports-directory scanner through the real scan step: reports read by digest with the
// same parsing as Clair's, and each bad file a clear failure of its own digest only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import type { ManifestSource } from '../../../../functions/scan/ManifestSource.ts';
import { ReportsDirScanner } from '../../../../functions/scan/ReportsDirScanner.ts';
import { SCAN_RESULTS } from '../../../../functions/scan/ScanResult.ts';
import type { ScanPorts } from '../../../../functions/scan/scanDigest.ts';
import { scanInventory } from '../../../../functions/scan/scanInventory.ts';
import { item, snapshot } from './scan-fixtures.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;
const D = `sha256:${'d'.repeat(64)}`;

/** A Clair v4 VulnerabilityReport as `GET /matcher/api/v1/vulnerability_report/{hash}` returns it. */
function report(manifestHash: string): unknown {
  return {
    manifest_hash: manifestHash,
    packages: {
      '10': { id: '10', name: 'openssl', version: '3.0.1', kind: 'binary' },
      '11': { id: '11', name: 'zlib', version: '1.2.13', kind: 'binary' },
    },
    distributions: { '1': { id: '1', did: 'debian', version_id: '12' } },
    environments: { '10': [{ package_db: 'var/lib/dpkg/status', distribution_id: '1' }] },
    vulnerabilities: {
      '100': {
        id: '100',
        name: 'SAMPLE-2026-0001',
        normalized_severity: 'Critical',
        fixed_in_version: '3.0.9',
        links: 'https://example.invalid/SAMPLE-2026-0001',
      },
      '101': { id: '101', name: 'SAMPLE-2026-0002', normalized_severity: 'Low', fixed_in_version: '' },
    },
    package_vulnerabilities: { '10': ['100'], '11': ['101'] },
    enrichments: {},
  };
}

/** Any registry access would be a bug: the reports directory needs no manifest. */
const noRegistry: ManifestSource = new Proxy({} as ManifestSource, {
  get: (_target, prop) => () => {
    throw new Error(`the registry was asked (${String(prop)}) although reports need no manifest`);
  },
});

let dir: string;
let stateDir: string;
let ports: ScanPorts;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-reports-'));
  stateDir = await mkdtemp(join(tmpdir(), 'iw-reports-state-'));
  ports = {
    scanner: new ReportsDirScanner({ dir, logger: silentLogger() }),
    manifests: noRegistry,
    store: new FileStateStore(stateDir),
    clock: new ManualClock('2026-01-02T00:00:00Z'),
    logger: silentLogger(),
  };
});
afterEach(async () => {
  await Promise.all([
    rm(dir, { recursive: true, force: true }),
    rm(stateDir, { recursive: true, force: true }),
  ]);
});

describe('ReportsDirScanner in the scan step', () => {
  it('reads each digest from its file (both name forms) with the same findings as a Clair report', async () => {
    await writeFile(join(dir, `${A}.json`), JSON.stringify(report(A)));
    await writeFile(join(dir, `${B.replace(':', '-')}.json`), JSON.stringify(report(B)));

    const result = await scanInventory(
      snapshot([item('registry.example/team/a', A), item('registry.example/team/b', B)]),
      ports,
      { concurrency: 2, throttleRetries: 0, notReadyRetries: 0, notReadyDelayMs: 0 },
    );

    expect(result).toMatchObject({ digests: 2, scanned: 2, failed: 0, indexed: 0 });
    const stored = await ports.store.get<{ status: string; vulnerabilities: unknown[] }>(SCAN_RESULTS, A);
    expect(stored?.status).toBe('scanned');
    expect(stored?.vulnerabilities).toEqual([
      expect.objectContaining({
        vulnerability: 'SAMPLE-2026-0001',
        package: { name: 'openssl', version: '3.0.1' },
        severity: 'Critical',
        fixedIn: '3.0.9',
      }),
      // "" is no fix
      expect.not.objectContaining({ fixedIn: expect.anything() }),
    ]);
  });

  it('fails only the digest whose report is missing, malformed or for another digest', async () => {
    await writeFile(join(dir, `${A}.json`), JSON.stringify(report(A)));
    await writeFile(join(dir, `${B}.json`), '{"manifest_hash": "sha256:bbbb", "packages": {');
    await writeFile(join(dir, `${C}.json`), JSON.stringify(report(A)));

    const result = await scanInventory(
      snapshot([
        item('registry.example/team/a', A),
        item('registry.example/team/b', B),
        item('registry.example/team/c', C),
        item('registry.example/team/d', D),
      ]),
      ports,
      { concurrency: 2, throttleRetries: 0, notReadyRetries: 0, notReadyDelayMs: 0 },
    );

    expect(result).toMatchObject({ digests: 4, scanned: 1, failed: 3 });
    const reasons = Object.fromEntries(result.problems.map((p) => [p.digest, p.reason]));
    expect(reasons[B]).toMatch(new RegExp(`${B}\\.json: not valid JSON`));
    expect(reasons[C]).toContain(`the report of ${A}, not of ${C}`);
    expect(reasons[D]).toContain(`no report for ${D} (expected ${D}.json or ${D.replace(':', '-')}.json)`);
    expect(reasons[A]).toBeUndefined();
  });

  it('re-reads a report once its file changes, and keeps the earlier findings when a file goes bad', async () => {
    const file = join(dir, `${A}.json`);
    await writeFile(file, JSON.stringify(report(A)));
    const options = { concurrency: 1, throttleRetries: 0, notReadyRetries: 0, notReadyDelayMs: 0 };
    const inventory = snapshot([item('registry.example/team/a', A)]);
    await scanInventory(inventory, ports, options);

    const changed = report(A) as { package_vulnerabilities: Record<string, string[]> };
    changed.package_vulnerabilities = { '11': ['101'] };
    await writeFile(file, JSON.stringify(changed));
    await scanInventory(inventory, ports, options);
    const second = await ports.store.get<{ vulnerabilities: Array<{ vulnerability: string }> }>(
      SCAN_RESULTS,
      A,
    );
    expect(second?.vulnerabilities.map((v) => v.vulnerability)).toEqual(['SAMPLE-2026-0002']);

    await writeFile(file, 'not json');
    const third = await scanInventory(inventory, ports, options);
    expect(third.failed).toBe(1);
    const kept = await ports.store.get<{ status: string; vulnerabilities: unknown[] }>(SCAN_RESULTS, A);
    expect(kept).toMatchObject({ status: 'failed' });
    expect(kept?.vulnerabilities).toHaveLength(1);
  });

  it('says that a reports directory has no notifier', async () => {
    await expect(ports.scanner.notificationPage('x', { pageSize: 10 })).rejects.toThrow(/no notifier/);
  });
});
