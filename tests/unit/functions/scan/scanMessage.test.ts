import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import { SCAN_RESULTS } from '../../../../functions/scan/ScanResult.ts';
import { handleScanMessage, RetryLaterError, scanMessages } from '../../../../functions/scan/scanMessage.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from './scan-fixtures.ts';

let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('scan queue messages', () => {
  it('one message per unique digest, none for unresolved items', () => {
    const snap = snapshot([
      item('r/app', D1),
      item('r/app', D1, { id: 'again' }),
      item('r/web', D2),
      item('r/x', '', { id: 'unresolved:r/x:1', digest: undefined }),
    ]);
    expect(scanMessages(snap)).toEqual([
      { digest: D1, repository: 'r/app' },
      { digest: D2, repository: 'r/web' },
    ]);
  });

  it('a worker scans the digest of its message and stores the result', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'curl', version: '8.0' }])]);
    const body = JSON.stringify({ digest, repository: `${world.registry}/team/app` });
    const scan = await handleScanMessage(body, world.ports);
    expect(scan.result.status).toBe('scanned');
    expect(await world.store.get(SCAN_RESULTS, digest)).toMatchObject({ status: 'scanned' });
  });

  it('throws RetryLaterError when Clair throttles or has no report yet, so the queue redelivers', async () => {
    world = await scanWorld();
    const digest = world.images.addImage([packagesLayer([{ name: 'curl', version: '8.0' }])]);
    const body = JSON.stringify({ digest, repository: `${world.registry}/team/app` });
    world.fake.failNext('post_index_report', 1, 429);
    await expect(handleScanMessage(body, world.ports)).rejects.toThrow(RetryLaterError);
    world.fake.notReady = true;
    await expect(handleScanMessage(body, world.ports)).rejects.toThrow(/no vulnerability data yet/);
  });

  it.each(['not json', '{}', JSON.stringify({ digest: 'latest', repository: 'r/app' })])(
    'refuses a malformed body %j without calling Clair',
    async (body) => {
      world = await scanWorld();
      await expect(handleScanMessage(body, world.ports)).rejects.toThrow(ValidationError);
      expect(world.fake.calls.index_state).toBe(0);
    },
  );
});
