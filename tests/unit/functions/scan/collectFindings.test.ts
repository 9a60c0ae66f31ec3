// Rebuilding findings from scan results written by independent workers (the AWS fan-out).
import { afterEach, describe, expect, it } from 'vitest';
import { collectFindings } from '../../../../functions/scan/collectFindings.ts';
import { VULN_FINDINGS } from '../../../../functions/scan/findings.ts';
import { scanDigest } from '../../../../functions/scan/scanDigest.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from './scan-fixtures.ts';

let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('collectFindings', () => {
  it('merges per-digest results into one finding per repository, vulnerability and package', async () => {
    // Prepare: two builds of one repository scanned by separate "workers"
    world = await scanWorld();
    const repo = `${world.registry}/team/app`;
    const d1 = world.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])]);
    const d2 = world.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.2' }])]);
    await scanDigest({ digest: d1, repository: repo }, world.ports);
    await scanDigest({ digest: d2, repository: repo }, world.ports);
    const snap = snapshot([item(repo, d1), item(repo, d2)]);
    // Act
    const result = await collectFindings(snap, world.ports);
    // Assess
    expect(result).toEqual({ digestsWithResults: 2, digestsWithoutResults: 0, findings: 1, removed: 0 });
    expect(await world.store.get(VULN_FINDINGS, `vuln|${repo}|CVE-2026-0001|openssl`)).toMatchObject({
      digests: [d1, d2].sort(),
      package: { name: 'openssl', version: '3.0.1, 3.0.2' },
      where: { hostCount: 4, containers: 6 },
    });
  });

  it('removes resolved findings only when every in-use digest has a result', async () => {
    world = await scanWorld();
    const repo = `${world.registry}/team/app`;
    const d1 = world.images.addImage([packagesLayer([{ name: 'zlib', version: '1' }])]);
    await world.store.put(VULN_FINDINGS, `vuln|${repo}|CVE-OLD|gone`, {
      key: 'x',
      detectedAt: '2025-01-01T00:00:00Z',
    });
    const unscanned = `sha256:${'7'.repeat(64)}`;
    const partial = await collectFindings(snapshot([item(repo, d1), item(repo, unscanned)]), world.ports);
    expect(partial).toMatchObject({ digestsWithResults: 0, digestsWithoutResults: 2, removed: 0 });
    await scanDigest({ digest: d1, repository: repo }, world.ports);
    const complete = await collectFindings(snapshot([item(repo, d1)]), world.ports);
    expect(complete).toMatchObject({ digestsWithResults: 1, findings: 1, removed: 1 });
    expect(await world.store.get(VULN_FINDINGS, `vuln|${repo}|CVE-OLD|gone`)).toBeUndefined();
  });
});
