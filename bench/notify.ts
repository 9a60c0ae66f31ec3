// Notify bench: 5,000 open findings across 300 owners and 1,200 images, mailed through a real
// SMTP server on loopback (smtp-server). Prints messages sent on the first run (target 300:
// one digest per owner) and on an unchanged second run (target 0), compose + send time, and
// how many messages that is against the naive one-alert-per-container-per-finding count.
// State lives in memory here so the figures show the notify step itself; `-- --file-store`
// runs the same on the local FileStateStore (one JSON file per collection, fsync per write).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, systemClock } from '../core/clock.ts';
import { type Finding, policyKey, vulnerabilityKey } from '../core/findings/Finding.ts';
import { silentLogger } from '../core/logger.ts';
import { defaultSleep } from '../core/retry.ts';
import type { Severity } from '../core/severity.ts';
import { FileStateStore } from '../core/state/FileStateStore.ts';
import type { Lease, LeaseRequest } from '../core/state/lease.ts';
import { MemoryLeases } from '../core/state/MemoryLeases.ts';
import type { StateRecord, StateStore } from '../core/state/StateStore.ts';
import { type NotifyOptions, notify } from '../functions/notify/notify.ts';
import { SmtpMailer } from '../functions/notify/SmtpMailer.ts';
import { startSmtpServer } from '../tests/support/smtp.ts';
import { emit, line, ratio, timed } from './lib.ts';

const FINDINGS = 5000;
const OWNERS = 300;
const IMAGES = 1200;

class MemoryStateStore implements StateStore {
  readonly #tables = new Map<string, Map<string, unknown>>();
  readonly #leases = new MemoryLeases();
  acquireLease = (request: LeaseRequest) => this.#leases.acquireLease(request);
  renewLease = (lease: Lease, ttlMs: number) => this.#leases.renewLease(lease, ttlMs);
  releaseLease = (lease: Lease) => this.#leases.releaseLease(lease);
  #table(collection: string): Map<string, unknown> {
    const table = this.#tables.get(collection) ?? new Map<string, unknown>();
    this.#tables.set(collection, table);
    return table;
  }
  async get<T>(collection: string, key: string): Promise<T | undefined> {
    return structuredClone(this.#table(collection).get(key)) as T | undefined;
  }
  async put<T>(collection: string, key: string, value: T): Promise<void> {
    this.#table(collection).set(key, structuredClone(value));
  }
  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    if (this.#table(collection).has(key)) return false;
    this.#table(collection).set(key, structuredClone(value));
    return true;
  }
  async delete(collection: string, key: string): Promise<void> {
    this.#table(collection).delete(key);
  }
  async list<T>(collection: string, prefix = ''): Promise<StateRecord<T>[]> {
    return [...this.#table(collection).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value: structuredClone(value) as T }));
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so every run mails the same fleet. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fleet(): { findings: Finding[]; naive: number } {
  const rnd = random(42);
  const severities: Severity[] = ['Critical', 'High', 'High', 'Medium'];
  const images = Array.from({ length: IMAGES }, (_, i) => {
    const owner = `owner${String(i % OWNERS).padStart(3, '0')}@example.org`;
    const hostCount = 1 + Math.floor(rnd() * 20);
    return {
      repository: `harbor.example.org/team${i % OWNERS}/svc${i}`,
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
      owner,
      where: {
        hostCount,
        sampleHosts: Array.from(
          { length: Math.min(3, hostCount) },
          (_, h) => `node${(i * 7 + h) % 500}.example.org`,
        ),
        containers: hostCount + Math.floor(rnd() * 10),
      },
    };
  });
  const findings: Finding[] = [];
  let naive = 0;
  for (let n = 0; n < FINDINGS; n++) {
    const image = images[n % IMAGES] as (typeof images)[number];
    naive += image.where.containers;
    const common = {
      repository: image.repository,
      digests: [image.digest],
      where: image.where,
      recipient: { address: image.owner, rule: 'label' as const, detail: 'owner' },
      detectedAt: '2026-03-10T00:00:00Z',
    };
    if (n % 25 === 24) {
      findings.push({
        kind: 'policy',
        key: policyKey(image.repository, 'stale-image'),
        ...common,
        severity: 'Medium',
        title: 'Image older than 30 days',
        rule: 'stale-image',
        detail: 'built 45 days ago',
        remedy: 'Rebuild the image from an updated base and redeploy it.',
      });
      continue;
    }
    const vulnerability = `CVE-2025-${String(10000 + n).padStart(5, '0')}`;
    findings.push({
      kind: 'vulnerability',
      key: vulnerabilityKey(image.repository, vulnerability, `pkg${n % 40}`),
      ...common,
      severity: severities[n % severities.length] as Severity,
      title: `${vulnerability} in pkg${n % 40}`,
      vulnerability,
      package: { name: `pkg${n % 40}`, version: '1.2.3-1' },
      ...(rnd() < 0.7 ? { fixedIn: '1.2.4-1' } : {}),
      links: [`https://nvd.nist.gov/vuln/detail/${vulnerability}`],
    });
  }
  return { findings, naive };
}

const fileStore = process.argv.includes('--file-store');
const dir = mkdtempSync(join(tmpdir(), 'iw-bench-notify-'));
const store: StateStore = fileStore ? new FileStateStore(dir) : new MemoryStateStore();
const smtp = await startSmtpServer();
const mailer = new SmtpMailer({ host: smtp.host, port: smtp.port, secure: false, maxConnections: 4 });
try {
  const { findings, naive } = fleet();
  // Seeding goes through the port, one put per finding, as the scan and inventory steps write them.
  for (const finding of findings) {
    const collection = finding.kind === 'policy' ? 'policy-findings' : 'vuln-findings';
    await store.put(collection, finding.key, finding);
  }
  const ports = {
    store,
    mailer,
    clock: systemClock,
    logger: silentLogger(),
    sleep: (ms: number) => defaultSleep(ms),
  };
  const options: NotifyOptions = {
    runId: 'bench-1',
    from: 'imagewarden@example.org',
    securityContact: 'security@example.org',
    reminderIntervalMs: 7 * DAY_MS,
    sendRate: 1000,
    concurrency: 4,
    ack: {
      baseUrl: 'https://ack.example.org',
      hmacKey: 'bench-key-0123456789-0123456789-0123456789',
      linkDays: 30,
    },
  };
  const dry = await timed(() => notify(ports, { ...options, dryRun: true }));
  const first = await timed(() => notify(ports, options));
  const second = await timed(() => notify(ports, { ...options, runId: 'bench-2' }));
  const bytes = smtp.received.reduce((n, m) => n + m.raw.length, 0);

  line('open findings / owners / images', `${findings.length} / ${OWNERS} / ${IMAGES}`);
  line('state store', fileStore ? 'FileStateStore (disk)' : 'in memory');
  line('messages sent, first run (target 300)', first.result.sent);
  line('messages sent, unchanged second run (target 0)', second.result.sent);
  line('messages received by the SMTP server', smtp.received.length);
  line('plan + compose only, dry run (ms)', dry.ms);
  line('first run: plan + compose + queue + send (ms)', first.ms);
  line('send time per message (ms)', (first.ms - dry.ms) / Math.max(1, first.result.sent));
  line('second run (ms)', second.ms);
  line('mean message size (KiB)', bytes / Math.max(1, smtp.received.length) / 1024);
  line('naive alerts (one per container per finding)', naive);
  line('messages vs naive alerts (ratio)', ratio(first.result.sent, naive));
  line('naive alerts per message sent', ratio(naive, first.result.sent));
  emit('notify', {
    store: fileStore ? 'file' : 'memory',
    findings: findings.length,
    owners: OWNERS,
    images: IMAGES,
    firstRunSent: first.result.sent,
    secondRunSent: second.result.sent,
    received: smtp.received.length,
    composeMs: Math.round(dry.ms),
    firstRunMs: Math.round(first.ms),
    secondRunMs: Math.round(second.ms),
    naiveAlerts: naive,
    messagesVsNaive: Number(ratio(first.result.sent, naive).toFixed(5)),
  });
  if (first.result.sent !== OWNERS || second.result.sent !== 0) process.exitCode = 1;
} finally {
  await mailer.close();
  await smtp.stop();
  rmSync(dir, { recursive: true, force: true });
}
