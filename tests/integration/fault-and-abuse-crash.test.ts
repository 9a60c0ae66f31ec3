// Fault and abuse: a notify run killed with SIGKILL mid-send, then run again. A real child
// process runs the CLI's `notify` against a real SMTP server (smtp-server) that accepts the
// first message and hangs after the DATA of the second; the child is killed there. The rerun
// takes over the dead run's lease and claim at once, sends the rest, and sends again only the
// message that was in flight, with the same Message-ID (mail clients fold the two).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import { listOutbox } from '../../functions/notify/outbox.ts';
import { startTs } from '../support/child.ts';
import { type SmtpTestServer, startSmtpServer } from '../support/smtp.ts';
import { policy, storeFindings } from '../unit/functions/notify/fixtures.ts';

const OWNERS = ['ann', 'ben', 'cat', 'dan'].map((n) => `${n}@example.org`);

let smtp: SmtpTestServer;
let dir: string;

beforeAll(async () => {
  smtp = await startSmtpServer({ stallAfter: 1 });
  dir = await mkdtemp(join(tmpdir(), 'iw-crash-'));
});
afterAll(async () => {
  await smtp.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('fault and abuse: SIGKILL mid-send, then rerun', () => {
  it('delivers every message; only the one in flight goes twice, with the same Message-ID', async () => {
    // Prepare: findings for four owners, a config sending through the stalling SMTP server
    const state = join(dir, 'state');
    await storeFindings(
      new FileStateStore(state),
      OWNERS.map((owner) => policy({ owner, repository: `docker.io/${owner.split('@')[0]}/app` })),
    );
    const config = join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        state: { backend: 'file', dir: state },
        owners: { securityContact: 'security@example.org' },
        notify: {
          transport: 'smtp',
          smtp: { host: smtp.host, port: smtp.port, maxConnections: 1 },
          sendRate: 1000,
        },
        log: { level: 'warn' },
      }),
    );
    const cli = (runId: string) => startTs('cli/main.ts', ['notify', '-c', config, '--run-id', runId]);

    // Act: the first run hangs on the second message and is killed there
    const first = cli('run-1');
    await smtp.firstStall;
    first.child.kill('SIGKILL');
    const killed = await first.done;
    smtp.setFailures({});
    const second = await cli('run-2').done;

    // Assess
    const stalled = await Promise.all(smtp.stalled.map((m) => simpleParser(m.raw)));
    const delivered = await smtp.parsed();
    const to = (m: (typeof delivered)[number]) =>
      Array.isArray(m.to) ? '' : (m.to?.value[0]?.address ?? '');
    expect(killed.signal).toBe('SIGKILL');
    expect(second.code, second.stderr).toBe(0);
    // nothing lost: every owner has a message, each exactly once in what the server accepted
    expect(delivered.map(to).sort()).toEqual(OWNERS);
    // the only message seen twice is the one in flight, and its copies share one Message-ID
    expect(stalled).toHaveLength(1);
    const inFlight = stalled[0];
    const resent = delivered.find((m) => to(m) === (inFlight ? to(inFlight) : ''));
    expect(resent?.messageId).toBe(inFlight?.messageId);
    // the rerun carried the killed run's messages over instead of composing new ones
    expect(new Set(delivered.map((m) => m.messageId)).size).toBe(OWNERS.length);
    expect((await listOutbox(new FileStateStore(state))).every((r) => r.status === 'sent')).toBe(true);
  });
});
