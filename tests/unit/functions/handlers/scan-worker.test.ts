// The scan-worker function: SQS batch -> scanDigest per message against the Clair protocol
// fake (synthetic images on a local blob server) -> findings per repository, with the
// messages to deliver again in batchItemFailures.
import { afterEach, describe, expect, it } from 'vitest';
import type { VulnerabilityFinding } from '../../../../core/findings/Finding.ts';
import { createScanWorkerHandler } from '../../../../functions/handlers/scan-worker.ts';
import { saveInventory } from '../../../../functions/inventory/inventoryStore.ts';
import { VULN_FINDINGS } from '../../../../functions/scan/findings.ts';
import { RENOTIFY, type RenotifyMark } from '../../../../functions/scan/notifications.ts';
import { SCAN_RESULTS } from '../../../../functions/scan/ScanResult.ts';
import { packagesLayer } from '../../../support/clair-fake.ts';
import { item, type ScanWorld, scanWorld, snapshot } from '../scan/scan-fixtures.ts';
import { asFunction } from './state-grants.ts';
import { sqsEvent, testRuntime } from './support.ts';

let world: ScanWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const message = (digest: string, repository: string) => JSON.stringify({ v: 1, digest, repository });

async function setup() {
  world = await scanWorld();
  const w = world;
  const repoA = `${w.registry}/team/app`;
  const repoB = `${w.registry}/team/worker`;
  const a1 = w.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])], 'a1');
  const a2 = w.images.addImage(
    [
      packagesLayer([
        { name: 'openssl', version: '3.0.2' },
        { name: 'curl', version: '8.0' },
      ]),
    ],
    'a2',
  );
  const b1 = w.images.addImage([packagesLayer([{ name: 'zlib', version: '1.2' }])], 'b1');
  await saveInventory(w.store, snapshot([item(repoA, a1), item(repoA, a2, { id: a2 }), item(repoB, b1)]));
  const runtime = testRuntime({ scan: { clair: { url: w.fake.url } } }, { store: w.store, clock: w.clock });
  const handler = createScanWorkerHandler({
    runtime: () => asFunction('scan-worker', runtime),
    // as in production, the scan ports use the function's own (restricted) store
    ports: async (rt) => ({ ...w.ports, store: rt.store }),
  });
  return { w, handler, repoA, repoB, a1, a2, b1 };
}

describe('scan-worker handler', () => {
  it('scans each digest, merges findings per repository and reports only bad messages', async () => {
    // Prepare
    const { w, handler, repoA, repoB, a1, a2, b1 } = await setup();
    const event = sqsEvent([
      { messageId: 'm-a1', body: message(a1, repoA) },
      { messageId: 'm-a2', body: message(a2, repoA) },
      { messageId: 'm-b1', body: message(b1, repoB) },
      { messageId: 'm-bad', body: '{"digest":"latest"}' },
    ]);

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    expect(w.fake.calls.index_state).toBe(1);
    expect(w.fake.calls.post_index_report).toBe(3);
    const findings = (await w.store.list<VulnerabilityFinding>(VULN_FINDINGS)).map((r) => r.value);
    const openssl = findings.find((f) => f.key === `vuln|${repoA}|CVE-2026-0001|openssl`);
    expect(openssl?.digests).toEqual([a1, a2].sort());
    expect(openssl?.package.version).toBe('3.0.1, 3.0.2');
    expect(findings.map((f) => f.key).sort()).toEqual(
      [
        `vuln|${repoA}|CVE-2026-0001|openssl`,
        `vuln|${repoA}|CVE-2026-0003|curl`,
        `vuln|${repoB}|CVE-2026-0002|zlib`,
      ].sort(),
    );
  });

  it('clears a Clair notifier mark once it has read the report again', async () => {
    // Prepare: the webhook asked for a1's report to be read again
    const { w, handler, repoA, a1 } = await setup();
    const mark: RenotifyMark = {
      manifest: a1,
      digest: a1,
      repository: repoA,
      notificationId: '00000000-0000-4000-8000-000000000001',
      vulnerabilities: [{ name: 'CVE-2026-0001', reason: 'added' }],
      markedAt: new Date(w.clock.now().getTime() - 60_000).toISOString(),
    };
    await w.store.put(RENOTIFY, a1, mark);

    // Act
    const response = await handler(sqsEvent([{ messageId: 'm-a1', body: message(a1, repoA) }]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await w.store.get(RENOTIFY, a1)).toBeUndefined();
  });

  it('returns a digest Clair failed on for redelivery and keeps the rest', async () => {
    // Prepare: the first index POST fails with 500 on every attempt of the adapter's retries
    const { w, handler, repoA, a1, b1, repoB } = await setup();
    w.fake.failNext('post_index_report', 4, 500);

    // Act
    const response = await handler(
      sqsEvent([
        { messageId: 'm-a1', body: message(a1, repoA) },
        { messageId: 'm-b1', body: message(b1, repoB) },
      ]),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-a1' }]);
    expect(await w.store.get(SCAN_RESULTS, a1)).toMatchObject({ status: 'failed' });
    expect(await w.store.get(SCAN_RESULTS, b1)).toMatchObject({ status: 'scanned' });
  });

  it('returns the whole batch when Clair cannot be reached', async () => {
    // Prepare
    const { w, handler, repoA, a1, a2 } = await setup();
    w.fake.failNext('index_state', 10, 503);

    // Act
    const response = await handler(
      sqsEvent([
        { messageId: 'm-a1', body: message(a1, repoA) },
        { messageId: 'm-a2', body: message(a2, repoA) },
      ]),
    );

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-a1', 'm-a2']);
    expect(w.fake.calls.post_index_report).toBe(0);
  });

  it('does not start a digest without time left to finish it, and hands it back', async () => {
    // Prepare
    const { w, handler, repoA, a1 } = await setup();

    // Act
    const response = await handler(sqsEvent([{ messageId: 'm-a1', body: message(a1, repoA) }]), {
      getRemainingTimeInMillis: () => 5_000,
    });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-a1' }]);
    expect(w.fake.calls.post_index_report).toBe(0);
  });

  it('refuses an event that is not an SQS batch', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const run = handler({ detail: 'not sqs' });

    // Assess
    await expect(run).rejects.toThrow(/not an SQS event/);
  });
});
