// Fault and abuse: overlapping runs. Two notify runs at once over the same state, on the file
// store and on DynamoDB (dynalite), against a real SMTP server (smtp-server): every recipient
// gets exactly one mail. Two deliveries of the same pending outbox at once: every message
// exactly once. Two real processes writing one file-store collection through compactions:
// every write is there afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';
import { silentLogger } from '../../core/logger.ts';
import { createDocumentClient } from '../../core/state/createStateStore.ts';
import { DynamoStateStore } from '../../core/state/DynamoStateStore.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { composeMessages } from '../../functions/notify/compose.ts';
import { deliver } from '../../functions/notify/deliver.ts';
import type { Mailer } from '../../functions/notify/Mailer.ts';
import { type NotifyOptions, type NotifySummary, notify } from '../../functions/notify/notify.ts';
import { enqueue, listOutbox } from '../../functions/notify/outbox.ts';
import { RateLimiter } from '../../functions/notify/RateLimiter.ts';
import { SmtpMailer } from '../../functions/notify/SmtpMailer.ts';
import { planNotifications } from '../../functions/notify/select.ts';
import { runTs } from '../support/child.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS } from '../support/dynalite.ts';
import { type SmtpTestServer, startSmtpServer } from '../support/smtp.ts';
import { policy, storeFindings, vuln } from '../unit/functions/notify/fixtures.ts';

const OWNERS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((n) => `${n}@example.org`);
const TABLE = 'imagewarden-overlap-it';
const dynamo = dynaliteForSuite([TABLE]);

let smtp: SmtpTestServer;
let dir: string;
const mailers: Mailer[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(async () => {
  for (const mailer of mailers.splice(0)) await mailer.close();
  smtp.received.length = 0;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A mailer over the real SMTP server that takes a moment per message, so runs overlap. */
function slowMailer(): Mailer {
  const smtpMailer = new SmtpMailer({ host: smtp.host, port: smtp.port, secure: false, maxConnections: 1 });
  mailers.push(smtpMailer);
  return {
    name: 'slow-smtp',
    send: async (message) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return smtpMailer.send(message);
    },
    close: () => smtpMailer.close(),
  };
}

async function seed(store: StateStore): Promise<void> {
  await storeFindings(
    store,
    OWNERS.flatMap((owner) => [
      vuln({ owner, repository: `harbor.example.org/${owner.split('@')[0]}/app` }),
      policy({ owner, repository: `docker.io/${owner.split('@')[0]}/sidecar` }),
    ]),
  );
}

const options = (runId: string): NotifyOptions => ({
  runId,
  from: 'imagewarden@example.org',
  securityContact: 'security@example.org',
  reminderIntervalMs: 7 * DAY_MS,
  sendRate: 1000,
});

/** Two notify runs started together, each with its own store instance (as two processes have). */
async function overlappingRuns(stores: [StateStore, StateStore]): Promise<NotifySummary[]> {
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  const ports = (store: StateStore) => ({
    store,
    mailer: slowMailer(),
    clock,
    logger: silentLogger(),
    sleep: async () => undefined,
  });
  return Promise.all([
    notify(ports(stores[0]), options('run-a')),
    notify(ports(stores[1]), options('run-b')),
  ]);
}

async function recipients(): Promise<string[]> {
  const parsed: ParsedMail[] = await smtp.parsed();
  return parsed.map((m) => (Array.isArray(m.to) ? '' : (m.to?.value[0]?.address ?? ''))).sort();
}

function dynamoStore(): DynamoStateStore {
  const state = parseConfig({
    state: { backend: 'dynamodb', table: TABLE, region: 'eu-north-1', endpoint: dynamo.endpoint },
  }).state;
  return new DynamoStateStore({
    table: TABLE,
    client: createDocumentClient(state, { credentials: LOCAL_CREDENTIALS }),
  });
}

describe('fault and abuse: overlapping notify runs', () => {
  it('file store: two runs at once mail each recipient exactly once', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'iw-overlap-'));
    await seed(new FileStateStore(dir));

    // Act
    const summaries = await overlappingRuns([new FileStateStore(dir), new FileStateStore(dir)]);

    // Assess: nothing lost, nothing twice; the run that found the lease held did nothing
    expect(await recipients()).toEqual(OWNERS);
    expect(summaries.map((s) => s.sent).reduce((a, b) => a + b)).toBe(OWNERS.length);
  });

  it('DynamoDB (dynalite): two runs at once mail each recipient exactly once', async () => {
    // Prepare
    await seed(dynamoStore());

    // Act
    const summaries = await overlappingRuns([dynamoStore(), dynamoStore()]);

    // Assess
    expect(await recipients()).toEqual(OWNERS);
    expect(summaries.map((s) => s.sent).reduce((a, b) => a + b)).toBe(OWNERS.length);
    expect(summaries.filter((s) => s.skipped === 'another-run').length).toBeLessThanOrEqual(1);
  });

  it('two deliveries of the same pending outbox at once send every message exactly once', async () => {
    // Prepare: messages queued by one run and left pending (as after a crash)
    dir = await mkdtemp(join(tmpdir(), 'iw-claims-'));
    const clock = new ManualClock('2026-03-10T12:00:00Z');
    const store = new FileStateStore(dir);
    await seed(store);
    const { findings } = await import('../../functions/notify/loadFindings.ts').then((m) =>
      m.loadOpenFindings(store),
    );
    const plan = planNotifications(findings, new Map(), [], {
      now: clock.now(),
      reminderIntervalMs: 7 * DAY_MS,
      securityContact: 'security@example.org',
    });
    const { messages } = composeMessages(plan, {
      from: 'imagewarden@example.org',
      runId: 'r0',
      now: clock.now(),
    });
    await enqueue(store, messages, 'r0');
    const pending = await listOutbox(store);
    const run = (holder: string) =>
      deliver(pending, slowMailer(), new FileStateStore(dir), {
        limiter: new RateLimiter({ perSecond: 1000, clock, sleep: async () => undefined }),
        clock,
        logger: silentLogger(),
        holder,
      });

    // Act
    const [a, b] = await Promise.all([run('a'), run('b')]);

    // Assess: each message once; whatever one run skipped the other sent
    const ids = (await smtp.parsed()).map((m) => m.messageId).sort();
    expect(ids).toEqual(messages.map((m) => m.messageId).sort());
    expect(a.sent + b.sent).toBe(messages.length);
    expect((await listOutbox(store)).every((r) => r.status === 'sent')).toBe(true);
  });
});

describe('fault and abuse: two file-store writers', () => {
  it('two real processes writing one collection through compactions lose no write', async () => {
    // Prepare: each child writes 120 keys three times over (its last round must win), so the
    // log passes the compaction threshold while the other process appends
    dir = await mkdtemp(join(tmpdir(), 'iw-writers-'));

    // Act
    const [a, b] = await Promise.all([
      runTs('tests/support/state-child.ts', ['write', dir, 'notified', 'a', '120', '3']),
      runTs('tests/support/state-child.ts', ['write', dir, 'notified', 'b', '120', '3']),
    ]);
    const records = await new FileStateStore(dir).list<{ writer: string; i: number; round: number }>(
      'notified',
    );

    // Assess: all 240 keys, each with its writer's last round
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    expect(records).toHaveLength(240);
    expect(records.filter((r) => r.value.round !== 2)).toEqual([]);
    expect(new Set(records.map((r) => r.key)).size).toBe(240);
  });
});
