// The inventory function: EventBridge Scheduler input -> inventory + policy from the NDJSON
// fleet export (registry lookups off) -> state store -> one SQS message per in-use digest.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../core/logger.ts';
import { loadInventory } from '../../../../functions/inventory/inventoryStore.ts';
import { POLICY_COLLECTION } from '../../../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../../../functions/scan/findings.ts';
import { ScanMessage } from '../../../../functions/scan/ScanMessage.ts';
import { fakeSqs, offlineInventoryHandler, scheduleEvent, testRuntime } from './support.ts';

function setup(options: { refuseAll?: boolean } = {}) {
  const runtime = testRuntime({
    inventory: { source: 'file', file: 'examples/fleet.ndjson' },
    policy: { approvedRegistries: ['harbor.example.org'] },
  });
  const sqs = fakeSqs(options);
  const handler = offlineInventoryHandler(runtime, sqs);
  return { runtime, sqs, handler };
}

describe('inventory handler', () => {
  it('stores the inventory and policy findings and enqueues each in-use digest once', async () => {
    // Prepare: a finding left from an image that no longer runs anywhere
    const { runtime, sqs, handler } = setup();
    await runtime.store.put(VULN_FINDINGS, 'vuln|gone.example.org/old/app|CVE-1|openssl', {
      kind: 'vulnerability',
      key: 'vuln|gone.example.org/old/app|CVE-1|openssl',
      repository: 'gone.example.org/old/app',
    });

    // Act
    const summary = await handler(scheduleEvent('inventory'));

    // Assess
    const snapshot = await loadInventory(runtime.store);
    const digests = new Set(snapshot?.items.flatMap((i) => (i.digest ? [i.digest] : [])));
    const messages = sqs.bodies.map((b) => ScanMessage.parse(JSON.parse(b)));
    expect(digests.size).toBeGreaterThan(3);
    expect(messages.map((m) => m.digest).sort()).toEqual([...digests].sort());
    for (const m of messages) {
      expect(snapshot?.items.some((i) => i.digest === m.digest && i.repository === m.repository)).toBe(true);
    }
    expect(summary).toMatchObject({
      job: 'inventory',
      digests: digests.size,
      enqueued: digests.size,
      enqueueFailed: 0,
    });
    expect(summary.findingsRetired).toBe(1);
    expect(await runtime.store.list(VULN_FINDINGS)).toEqual([]);
    const policy = await runtime.store.list(POLICY_COLLECTION);
    expect(policy.length).toBe(summary.policy.findings);
    expect(policy.length).toBeGreaterThan(0);
  });

  it('fails the invocation when no scan message reaches the queue, after storing the inventory', async () => {
    // Prepare
    const { runtime, handler } = setup({ refuseAll: true });

    // Act
    const run = handler(scheduleEvent('inventory'));

    // Assess
    await expect(run).rejects.toThrow(/no scan message could be enqueued \(AccessDenied: denied\)/);
    expect(await loadInventory(runtime.store)).toBeDefined();
  });

  it('accepts an event without the scheduler input (a manual `aws lambda invoke`)', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const summary = await handler({});

    // Assess
    expect(summary.job).toBe('inventory');
    expect(summary.enqueued).toBeGreaterThan(0);
  });

  it("logs one summary line carrying the invocation's request id", async () => {
    // Prepare
    const { runtime, handler } = setup();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    runtime.logger = createLogger({ destination, bindings: { component: 'inventory' } });

    // Act
    await handler(scheduleEvent('inventory'), { awsRequestId: 'req-42' });

    // Assess
    const summaries = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'inventory run finished');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ requestId: 'req-42', component: 'inventory', job: 'inventory' });
  });
});
