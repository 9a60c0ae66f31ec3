// The whole scheduled cycle from the packaged zips (`npm run package`, unzipped), each handler
// in its own process with the environment terraform gives it (tests/support/lambda-cycle.ts):
// the inventory function (an EventBridge Scheduler event) reads the Elasticsearch fake,
// resolves tags on a real docker-registry with credentials from its secret, writes the state to
// dynalite and puts one message per digest on the SQS fake; those messages reach the
// scan-worker function as the event source mapping delivers them; it scans through the Clair v4
// fake; the notify function mails owners through the SES fake; an owner's link acknowledges a
// finding through the ack function's URL; the next notify sends nothing new. Then Clair's
// notifier calls the webhook function's URL about a new vulnerability in an image that had no
// finding, and the next inventory, scan and notify runs mail it to that image's owner (whose
// mail, unlike the others', cannot share a Message-ID with this minute's earlier run: see
// functions/handlers/notify.ts): all five functions, from their zips.
import { describe, expect, it } from 'vitest';
import { listStoredAcks } from '../../functions/acks/AckStore.ts';
import { POLICY_COLLECTION } from '../../functions/policy/policyStore.ts';
import { VULN_FINDINGS } from '../../functions/scan/findings.ts';
import { deployedCycleForSuite, SCAN_QUEUE } from '../support/lambda-cycle.ts';
import { scheduleEvent, urlEvent } from '../unit/functions/handlers/support.ts';

const cycle = deployedCycleForSuite('imagewarden-cycle-it');
const NOTIFICATION_ID = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** The scan worker's counts, per invocation. */
function scanWorkerMetrics(metrics: Record<string, unknown>[]) {
  return metrics.map((m) => ({ Messages: m.Messages, Retried: m.Retried, Scanned: m.Scanned }));
}

/** What a mail tells its reader: each image heading and each finding line, up to a policy rule's name. */
function findingLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('== ') || line.startsWith('- ['))
    .map((line) =>
      (line.startsWith('- ') ? line.slice(2) : line).replace(/^(\[\w+\] POLICY [\w-]+):.*$/, '$1'),
    );
}

describe('the cycle from the packaged zips against docker-registry, dynalite and the ES, Clair, SQS and SES fakes', () => {
  it('inventory -> SQS -> scan-worker -> notify -> ack link -> notify sends nothing new -> Clair webhook -> the new vulnerability mailed', async () => {
    const { sqs, ses, clair, store, registry, alias, images } = cycle;
    // Act 1: the hourly inventory run, then the scan queue drained into the scan worker
    const inventory = await cycle.invoke('inventory', scheduleEvent('inventory'));
    const queued = cycle.queuedDigests();
    const scans = await cycle.deliverScanQueue();

    // Assess 1
    expect(inventory.error).toBeUndefined();
    expect(inventory.result).toMatchObject({
      images: 4,
      digests: 4,
      enqueued: 4,
      enqueueFailed: 0,
      unresolved: 0,
    });
    expect([...queued].sort()).toEqual(
      [images.app.digest, images.tool.digest, images.site.digest, images.db.digest].sort(),
    );
    expect(scans.batches.map((b) => b.Records.length)).toEqual([4]);
    expect(scans.failures).toEqual([]);
    expect(sqs.visible(SCAN_QUEUE)).toEqual([]);
    expect(clair.posted.length).toBe(4);
    expect((await store.list(VULN_FINDINGS)).map((r) => r.key)).toEqual([
      `vuln|${registry.host}/ops/tool|CVE-2026-0005|busybox`,
      `vuln|${registry.host}/team/app|CVE-2026-0001|openssl`,
      `vuln|${registry.host}/team/app|CVE-2026-0005|busybox`,
      `vuln|${alias}/web/site|CVE-2026-0001|openssl`,
    ]);
    expect((await store.list(POLICY_COLLECTION)).map((r) => r.key)).toEqual([
      `policy|${registry.host}/ops/tool|no-owner`,
      `policy|${registry.host}/ops/tool|stale-image`,
      `policy|${registry.host}/team/app|stale-image`,
      `policy|${alias}/web/site|stale-image`,
      `policy|${alias}/web/site|unapproved-registry`,
    ]);
    expect(inventory.metrics).toEqual([
      expect.objectContaining({ FunctionName: 'imagewarden-inventory', Enqueued: 4, RunSucceeded: 1 }),
    ]);
    expect(scanWorkerMetrics(scans.metrics)).toEqual([{ Messages: 4, Retried: 0, Scanned: 4 }]);

    // Act 2: the daily notify run
    const notify = await cycle.invoke('notify', scheduleEvent('notify'));
    const sent = await cycle.mails();

    // Assess 2: one mail per recipient, naming its images, vulnerabilities and policy findings
    expect(notify.result).toMatchObject({ sent: 3, pending: 0, refused: 0 });
    expect(Object.fromEntries(sent.map((m) => [m.to, findingLines(m.text)]))).toEqual({
      'app-team@example.org': [
        `== ${registry.host}/team/app`,
        '[new] CRITICAL CVE-2026-0001 in openssl 3.0.1 -> 3.0.9',
        '[new] HIGH CVE-2026-0005 in busybox 1.36 -> 1.37',
        '[new] POLICY stale-image',
      ],
      'security@example.org': [
        `== ${registry.host}/ops/tool`,
        '[new] HIGH CVE-2026-0005 in busybox 1.35 -> 1.37',
        '[new] POLICY stale-image',
        '[new] POLICY no-owner',
      ],
      'web@example.org': [
        `== ${alias}/web/site`,
        '[new] CRITICAL CVE-2026-0001 in openssl 3.0.1 -> 3.0.9',
        '[new] POLICY unapproved-registry',
        '[new] POLICY stale-image',
      ],
    });
    expect(
      ses.requests.every((r) => r.from === 'imagewarden@example.org' && r.configurationSet === 'imagewarden'),
    ).toBe(true);

    // Act 3: the app team opens the link of the critical finding and confirms
    const appMail = sent.find((m) => m.to === 'app-team@example.org')?.text ?? '';
    const link = new URL(/Acknowledge: (https:\/\/ack\.example\.org\/\S+)/.exec(appMail)?.[1] ?? '');
    const page = await cycle.invoke(
      'ack',
      urlEvent({ method: 'GET', path: link.pathname, query: link.search.slice(1) }),
    );
    const posted = await cycle.invoke(
      'ack',
      urlEvent({
        method: 'POST',
        path: link.pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          t: link.searchParams.get('t') ?? '',
          days: '14',
          reason: 'rebuild next week',
        }).toString(),
        base64: true,
      }),
    );

    // Assess 3
    expect(page.result).toMatchObject({ statusCode: 200 });
    expect(String(page.result?.body)).toContain('CVE-2026-0001');
    expect(posted.result).toMatchObject({ statusCode: 200 });
    expect((await listStoredAcks(store)).acks).toEqual([
      expect.objectContaining({
        scope: {
          repository: `${registry.host}/team/app`,
          vulnerability: 'CVE-2026-0001',
          package: 'openssl',
        },
        reason: 'rebuild next week',
      }),
    ]);

    // Act 4: the next notify run
    const again = await cycle.invoke('notify', scheduleEvent('notify'));

    // Assess 4: nothing new to tell anyone
    expect(again.result).toMatchObject({ sent: 0, pending: 0, refused: 0 });
    expect(ses.requests).toHaveLength(3);

    // Act 5: Clair's feed gains a vulnerability in zlib; its notifier calls the webhook
    // function's URL about the one in-use image it affects; the next hourly run and its scans
    // follow, then the next notify run
    cycle.clairDatabase.zlib = [{ name: 'CVE-2026-0099', normalizedSeverity: 'Critical', fixedIn: '1.3.1' }];
    const webhook = await clair.notify(cycle.webhookUrl.url, NOTIFICATION_ID, [
      { manifest: images.db.digest, vulnerability: 'CVE-2026-0099', severity: 'Critical' },
    ]);
    const hourly = await cycle.invoke('inventory', scheduleEvent('inventory'));
    const rescans = await cycle.deliverScanQueue();
    const third = await cycle.invoke('notify', scheduleEvent('notify'));
    const fresh = (await cycle.mails()).slice(3);

    // Assess 5: the db team, who had nothing to hear so far, hears of it; nobody else hears anything
    expect(webhook).toBe(200);
    expect(cycle.webhookUrl.events).toHaveLength(1);
    expect(hourly.result).toMatchObject({ notifications: { processed: 1, marked: 1, failed: 0 } });
    expect(clair.notifications.get(NOTIFICATION_ID)?.deleted).toBe(true);
    expect(rescans.failures).toEqual([]);
    expect(third.result).toMatchObject({ sent: 1, pending: 0, refused: 0 });
    expect(fresh.map((m) => [m.to, findingLines(m.text)])).toEqual([
      [
        'db-team@example.org',
        [`== ${registry.host}/team/db`, '[new] CRITICAL CVE-2026-0099 in zlib 1.3 -> 1.3.1'],
      ],
    ]);
  });
});
