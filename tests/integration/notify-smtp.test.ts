// The notify step against a real SMTP server (smtp-server on loopback), messages read back
// with mailparser: one digest per recipient, escaping, failures mid-batch (421, dropped
// connection) without loss or duplicates, 550 routed to the security contact, a signed ack
// link followed through the real ack HTTP handler, and the HTML rendered by Chromium.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { storedRecipientCheck } from '../../functions/acks/recipients.ts';
import { type AckServer, startAckServer } from '../../functions/acks/server.ts';
import { type NotifyOptions, notify } from '../../functions/notify/notify.ts';
import { SmtpMailer } from '../../functions/notify/SmtpMailer.ts';
import { requireBinary } from '../support/require.ts';
import { type SmtpTestServer, startSmtpServer } from '../support/smtp.ts';
import { policy, storeFindings, vuln } from '../unit/functions/notify/fixtures.ts';

const HMAC = 'integration-hmac-key-0123456789-0123456789';
const OWNERS = ['ann', 'ben', 'cat', 'dan', 'eve'].map((n) => `${n}@example.org`);
const SECURITY = 'security@example.org';

let smtp: SmtpTestServer;
let dir: string;
const mailers: SmtpMailer[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(async () => {
  for (const mailer of mailers.splice(0)) await mailer.close();
  smtp.received.length = 0;
  smtp.setFailures({});
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(ackBaseUrl = 'http://127.0.0.1:9/') {
  dir = mkdtempSync(join(tmpdir(), 'iw-notify-smtp-'));
  const store: StateStore = new FileStateStore(dir);
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  const mailer = new SmtpMailer({ host: smtp.host, port: smtp.port, secure: false, maxConnections: 2 });
  mailers.push(mailer);
  const ports = {
    store,
    mailer,
    clock,
    logger: silentLogger(),
    sleep: async (ms: number) => clock.advance(ms),
  };
  const options: NotifyOptions = {
    runId: 'run-1',
    from: 'imagewarden@example.org',
    securityContact: SECURITY,
    reminderIntervalMs: 7 * DAY_MS,
    sendRate: 50,
    ack: { baseUrl: ackBaseUrl, hmacKey: HMAC, linkDays: 30 },
  };
  return { store, clock, ports, options };
}

async function fleet(store: StateStore): Promise<void> {
  await storeFindings(
    store,
    OWNERS.flatMap((owner, i) => [
      vuln({ owner, repository: `harbor.example.org/${owner.split('@')[0]}/app`, severity: 'Critical' }),
      vuln({
        owner,
        repository: `harbor.example.org/${owner.split('@')[0]}/app`,
        vulnerability: `CVE-2024-100${i}`,
      }),
      policy({ owner, repository: `docker.io/${owner.split('@')[0]}/sidecar` }),
    ]),
  );
}

describe('notify over SMTP (smtp-server on loopback)', () => {
  it('sends one digest per recipient with its sections, escaped, with List-Id and Message-ID', async () => {
    // Prepare
    const { store, ports, options } = setup();
    await fleet(store);
    await storeFindings(store, [
      vuln({
        owner: 'ann@example.org',
        repository: 'harbor.example.org/ann/app',
        vulnerability: 'CVE-2024-6666',
        package: { name: 'label<script>alert(1)</script>', version: '1.0' },
      }),
    ]);
    // Act
    const summary = await notify(ports, options);
    // Assess
    expect(summary).toMatchObject({ sent: 5, pending: 0, failed: 0 });
    const mails = await smtp.parsed();
    expect(mails.map((m) => (Array.isArray(m.to) ? '' : m.to?.text)).sort()).toEqual(OWNERS);
    const ann = mails.find((m) => !Array.isArray(m.to) && m.to?.text === 'ann@example.org');
    expect(ann?.subject).toBe('[imagewarden] 1 new critical, 2 high, 1 policy issue in 2 images you own');
    expect(ann?.text).toContain('NEW AND CHANGED');
    expect(ann?.text).toContain('harbor.example.org/ann/app');
    expect(ann?.text).toContain(
      'runs on 3 hosts (web01.example.org, web02.example.org, web03.example.org), 7 containers',
    );
    expect(ann?.text).toContain('What to do: Move the image to harbor.example.org');
    expect(ann?.html).toContain('label&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(ann?.html).not.toContain('<script>');
    expect(ann?.messageId).toMatch(/^<[a-f0-9]{32}\.digest@imagewarden\.example\.org>$/);
    expect(ann?.headers.get('list')).toMatchObject({ id: { id: 'findings.imagewarden.example.org' } });
    expect((ann?.text?.match(/Acknowledge: http/g) ?? []).length).toBe(4);
  });

  it('after 421 from the server mid-batch, the next run sends only the rest, no duplicates', async () => {
    const { store, ports, options, clock } = setup();
    await fleet(store);
    smtp.setFailures({ tempFailAfter: 2 });

    const broken = await notify(ports, options);
    smtp.setFailures({});
    clock.advance(HOUR_MS);
    const next = await notify(ports, { ...options, runId: 'run-2' });
    const again = await notify(ports, { ...options, runId: 'run-3' });

    expect(broken).toMatchObject({ sent: 2, pending: 3 });
    expect(next).toMatchObject({ carriedOver: 3, composed: 0, sent: 3, pending: 0 });
    expect(again).toMatchObject({ composed: 0, sent: 0 });
    const to = smtp.received.flatMap((m) => m.envelope.to);
    expect(to.sort()).toEqual(OWNERS);
  });

  it('after a dropped connection mid-batch, the next run sends only the rest, no duplicates', async () => {
    const { store, ports, options, clock } = setup();
    await fleet(store);
    smtp.setFailures({ dropAfter: 3 });

    const broken = await notify(ports, options);
    smtp.setFailures({});
    clock.advance(HOUR_MS);
    const next = await notify(ports, { ...options, runId: 'run-2' });

    expect(broken.sent).toBe(3);
    expect(broken.pending).toBe(2);
    expect(next).toMatchObject({ sent: 2, pending: 0 });
    const ids = (await smtp.parsed()).map((m) => m.messageId);
    expect(new Set(ids).size).toBe(5);
    expect(smtp.received.flatMap((m) => m.envelope.to).sort()).toEqual(OWNERS);
  });

  it('reports a 550 for a recipient and routes the findings to the security contact', async () => {
    const { store, ports, options } = setup();
    await fleet(store);
    smtp.setFailures({ rejectRecipients: ['cat@example.org'] });

    const summary = await notify(ports, options);

    expect(summary.permanentFailures).toEqual([
      expect.objectContaining({ to: 'cat@example.org', responseCode: 550, routedTo: SECURITY }),
    ]);
    const mails = await smtp.parsed();
    const bounce = mails.find((m) => !Array.isArray(m.to) && m.to?.text === SECURITY);
    expect(bounce?.subject).toBe('[imagewarden] undeliverable: 3 findings for cat@example.org');
    expect(bounce?.text).toContain('mailbox unavailable');
    expect(bounce?.text).toContain('harbor.example.org/cat/app');
    expect(mails).toHaveLength(5);
  });

  describe('with the ack handler serving links (serve-ack on loopback)', () => {
    let ackServer: AckServer;
    afterEach(async () => {
      await ackServer?.close();
    });

    it('a link confirmed with POST silences that finding; the reminder leaves it out', async () => {
      const { store, ports, options, clock } = setup();
      ackServer = await startAckServer(
        {
          store,
          hmacKey: HMAC,
          clock,
          policy: { defaultDays: 90, maxDays: 365 },
          isRecipient: storedRecipientCheck(store, SECURITY),
          logger: silentLogger(),
        },
        { port: 0, host: '127.0.0.1' },
      );
      const opts = { ...options, ack: { baseUrl: ackServer.url, hmacKey: HMAC, linkDays: 30 } };
      await fleet(store);
      await notify(ports, opts);
      const ann = (await smtp.parsed()).find((m) => !Array.isArray(m.to) && m.to?.text === 'ann@example.org');
      const link = /Acknowledge: (http\S+)/.exec(ann?.text ?? '')?.[1] ?? '';

      const shown = await fetch(link);
      const confirmPage = await shown.text();
      const token = new URL(link).searchParams.get('t') ?? '';
      const posted = await fetch(new URL('/ack', ackServer.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ t: token, reason: 'accepted risk', days: '60' }),
      });
      smtp.received.length = 0;
      clock.advance(8 * DAY_MS);
      const reminder = await notify(ports, { ...opts, runId: 'run-2' });

      expect(shown.status).toBe(200);
      expect(confirmPage).toContain('Acknowledge this finding?');
      expect(posted.status).toBe(200);
      expect(await posted.text()).toContain('Acknowledged until');
      expect(reminder.plan.acknowledged).toBe(1);
      const annAgain = (await smtp.parsed()).find(
        (m) => !Array.isArray(m.to) && m.to?.text === 'ann@example.org',
      );
      expect(annAgain?.subject).toBe('[imagewarden] reminder: 2 open findings in 2 images you own');
    });
  });

  it('renders a digest readable in a browser (Chromium screenshot in test-artifacts/)', async () => {
    const chromium = requireBinary('chromium', 'chromium');
    const { store, ports, options } = setup();
    await fleet(store);
    await notify(ports, options);
    const ann = (await smtp.parsed()).find((m) => !Array.isArray(m.to) && m.to?.text === 'ann@example.org');
    const artifacts = resolve('test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const html = join(artifacts, 'notify-email.html');
    const png = join(artifacts, 'notify-email.png');
    // the page rendered is ann's digest, not an empty file
    const body = ann?.html;
    if (typeof body !== 'string') throw new Error('the digest to ann@example.org has no HTML part');
    expect(body).toContain('CVE-2024-1000');
    expect(body).toContain('harbor.example.org/ann/app');
    writeFileSync(html, body);
    rmSync(png, { force: true });
    const profile = mkdtempSync(join(tmpdir(), 'iw-chromium-'));

    const result = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        `--screenshot=${png}`,
        '--window-size=900,1400',
        `file://${html}`,
      ],
      { timeout: 90_000, encoding: 'utf8' },
    );
    rmSync(profile, { recursive: true, force: true });

    expect(result.error).toBeUndefined();
    const header = readFileSync(png);
    expect(header.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([header.readUInt32BE(16), header.readUInt32BE(20)]).toEqual([900, 1400]);
  });
});
