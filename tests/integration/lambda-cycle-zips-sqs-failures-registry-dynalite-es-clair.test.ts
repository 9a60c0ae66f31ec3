// The packaged inventory function when the scan queue misbehaves (tests/support/lambda-cycle.ts
// runs the zips against docker-registry, dynalite and the fakes): an entry SQS fails is retried,
// one that keeps failing is reported by digest and queued by the next run (then scanned from
// the queue by the packaged scan worker), and a run that can queue nothing fails, so Lambda
// retries it and the error alarm sees it. And the scan worker's side of the queue: messages it
// reports failed (ReportBatchItemFailures) are delivered again and then scanned.
import { describe, expect, it } from 'vitest';
import { VULN_FINDINGS } from '../../functions/scan/findings.ts';
import { deployedCycleForSuite, SCAN_QUEUE } from '../support/lambda-cycle.ts';
import { scheduleEvent } from '../unit/functions/handlers/support.ts';

const cycle = deployedCycleForSuite('imagewarden-sqs-failures-it');

describe('the packaged inventory and scan-worker functions when the scan queue does not go smoothly', () => {
  it('retries an entry SQS fails, reports one that keeps failing, queues it next run, and fails a run that queues nothing', async () => {
    const { sqs, images, registry, store } = cycle;
    // Prepare: SQS fails the app's entry once and the tool's every time (server side)
    const internal = {
      Code: 'InternalError',
      Message: 'We encountered an internal error. Please try again.',
      SenderFault: false,
    };
    let appRefusals = 1;
    sqs.failEntries((body) => {
      if (body.includes(images.tool.digest)) return internal;
      if (body.includes(images.app.digest) && appRefusals-- > 0) return internal;
      return undefined;
    });
    const callsBefore = sqs.calls.length;

    // Act 1
    const degraded = await cycle.invoke('inventory', scheduleEvent('inventory'));

    // Assess 1: three queued (one after a retry), the fourth reported by digest after 3 attempts
    expect(degraded.result).toMatchObject({ digests: 4, enqueued: 3, enqueueFailed: 1 });
    expect(sqs.calls.slice(callsBefore).map((c) => c.outcome)).toEqual([
      { successful: 2, failed: 2 },
      { successful: 1, failed: 1 },
      { successful: 0, failed: 1 },
    ]);
    expect(cycle.queuedDigests().sort()).toEqual(
      [images.app.digest, images.site.digest, images.db.digest].sort(),
    );
    expect(degraded.logs.filter((l) => l.msg === 'scan message not enqueued')).toEqual([
      expect.objectContaining({
        level: 'warn',
        digest: images.tool.digest,
        reason: expect.stringContaining('InternalError'),
      }),
    ]);
    expect(degraded.logs.find((l) => l.msg === 'inventory run finished')).toMatchObject({
      level: 'warn',
      enqueueFailed: 1,
    });
    expect(degraded.metrics).toEqual([
      expect.objectContaining({ Enqueued: 3, EnqueueFailed: 1, RunSucceeded: 1 }),
    ]);

    // Act 2: SQS is well again; the next hourly run, then the scan worker
    sqs.failEntries(undefined);
    const next = await cycle.invoke('inventory', scheduleEvent('inventory'));
    const queued = cycle.queuedDigests();
    const scans = await cycle.deliverScanQueue();

    // Assess 2: the tool's digest was not lost: queued by the next run and scanned
    expect(next.result).toMatchObject({ enqueued: 4, enqueueFailed: 0 });
    expect(queued.filter((d) => d === images.tool.digest)).toHaveLength(1);
    expect(scans.failures).toEqual([]);
    expect((await store.list(VULN_FINDINGS)).map((r) => r.key)).toContain(
      `vuln|${registry.host}/ops/tool|CVE-2026-0005|busybox`,
    );
    expect(sqs.visible(SCAN_QUEUE)).toEqual([]);

    // Act 3: SQS fails every entry
    sqs.failEntries(() => internal);
    const nothing = await cycle.invoke('inventory', scheduleEvent('inventory'));
    sqs.failEntries(undefined);

    // Assess 3: the invocation fails (Lambda retries it, the error alarm counts it), no heartbeat
    expect(nothing.error).toEqual({
      errorType: 'UpstreamError',
      errorMessage: expect.stringContaining('no scan message could be enqueued (InternalError'),
    });
    expect(nothing.metrics).toEqual([]);
    expect(sqs.visible(SCAN_QUEUE)).toEqual([]);
  });

  it('returns the digests Clair has no report for yet; SQS delivers them again and they are scanned', async () => {
    // Prepare: Clair's vulnerability data changed (a new index state) and is not ready yet
    const { sqs, clair, images } = cycle;
    clair.setState('state-after-update');
    clair.notReady = true;
    const inventory = await cycle.invoke('inventory', scheduleEvent('inventory'));

    // Act 1: the first delivery
    const first = sqs.receive(SCAN_QUEUE, 5);
    const worker = await cycle.invoke('scan-worker', first);
    const response = worker.result as { batchItemFailures: { itemIdentifier: string }[] };
    sqs.settle(first, response);

    // Assess 1: every message of the batch reported failed, so SQS keeps them all
    expect(inventory.result).toMatchObject({ enqueued: 4, enqueueFailed: 0 });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      first.Records.map((r) => r.messageId).sort(),
    );
    expect(worker.metrics).toEqual([expect.objectContaining({ Messages: 4, Retried: 4, Pending: 4 })]);
    expect(cycle.queuedDigests().sort()).toEqual(
      [images.app.digest, images.tool.digest, images.site.digest, images.db.digest].sort(),
    );

    // Act 2: Clair is ready; the messages come back after the visibility timeout
    clair.notReady = false;
    const again = await cycle.deliverScanQueue();

    // Assess 2: delivered a second time, scanned, and gone from the queue
    expect(again.batches.flatMap((b) => b.Records.map((r) => r.attributes.ApproximateReceiveCount))).toEqual([
      '2',
      '2',
      '2',
      '2',
    ]);
    expect(again.failures).toEqual([]);
    expect(again.metrics).toEqual([expect.objectContaining({ Messages: 4, Retried: 0, Scanned: 4 })]);
    expect(sqs.visible(SCAN_QUEUE)).toEqual([]);
  });
});
