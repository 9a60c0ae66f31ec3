// Fault and abuse: hostile input. `serve-webhook` without a PSK does not start; with one, a
// body over the limit is refused before it is read in full (by Content-Length, and while a
// chunked body streams in), and a notification id that is not a UUID never reaches Clair.
// Terminal output stays inert: escape sequences and bidi overrides in an ack reason come out
// as visible escapes in `ack list`, and `--json` still parses to the very same text.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { shortLivedToken } from '../../core/jwt.ts';
import { escapeTerminal } from '../../core/terminal-text.ts';
import { CLAIR_NOTIFICATIONS } from '../../functions/scan/notifications.ts';
import { MAX_BODY, startWebhookServer, type WebhookServer } from '../../functions/scan/webhookServer.ts';
import { runImagewarden } from '../support/cli.ts';
import { type ScanWorld, scanWorld } from '../unit/functions/scan/scan-fixtures.ts';

const PSK = Buffer.from('webhook-psk-for-the-abuse-suite');

let server: WebhookServer | undefined;
let world: ScanWorld | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  world = undefined;
  dir = undefined;
});

/** Sends headers and `sent` bytes of a body, never ending it; resolves with the status answered. */
function postWithoutEnd(url: string, headers: Record<string, string>, chunks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error) => {
      // the server may close the socket while we still write: only a status counts
      if (!(error as NodeJS.ErrnoException).code?.startsWith('E')) reject(error);
    });
    for (let i = 0; i < chunks; i++) req.write(Buffer.alloc(16 * 1024, 'x'));
  });
}

describe('fault and abuse: the Clair webhook', () => {
  it('serve-webhook without a PSK refuses to start', async () => {
    // Prepare
    world = await scanWorld();
    dir = await mkdtemp(join(tmpdir(), 'iw-webhook-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ scan: { clair: { url: 'http://127.0.0.1:1' } } }));

    // Act
    const direct = await startWebhookServer(world.ports, {}).catch((error: unknown) => error);
    const run = await runImagewarden(['serve-webhook', '-c', config, '--port', '0']);

    // Assess
    expect(direct).toBeInstanceOf(ConfigError);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/scan\.clair\.psk is required/);
  });

  it('refuses oversized bodies before reading them, by Content-Length and while streaming', async () => {
    // Prepare
    world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
    server = await startWebhookServer(world.ports, { psk: PSK });
    const auth = { authorization: `Bearer ${shortLivedToken('clair-notifier', PSK, world.clock.now())}` };

    // Act: 100 MB announced, 32 KiB sent; then a chunked body that never ends
    const declared = await postWithoutEnd(
      server.url,
      { ...auth, 'content-length': String(100 * 1024 * 1024) },
      2,
    );
    const streamed = await postWithoutEnd(
      server.url,
      { ...auth, 'transfer-encoding': 'chunked' },
      MAX_BODY / 16384 + 2,
    );

    // Assess: both answered although neither body was ever complete
    expect(declared).toBe(413);
    expect(streamed).toBe(413);
    expect(await world.store.list(CLAIR_NOTIFICATIONS)).toEqual([]);
  });

  it.each(['..', '../../indexer/api/v1/index_report', 'not-a-uuid'])(
    'answers 400 to notification id %j and never calls Clair',
    async (id) => {
      // Prepare
      world = await scanWorld({ psk: PSK, issuers: ['imagewarden'] });
      server = await startWebhookServer(world.ports, { psk: PSK });

      // Act
      const status = await world.fake.notify(server.url, id, [], { psk: PSK, now: world.clock.now() });
      await server.drain();

      // Assess
      expect(status).toBe(400);
      expect(world.fake.calls.notification_get ?? 0).toBe(0);
      expect(await world.store.list(CLAIR_NOTIFICATIONS)).toEqual([]);
    },
  );
});

describe('fault and abuse: hostile terminal output', () => {
  const HOSTILE = 'ok\u001b]0;pwned\u0007\u001b[2J\u202egnp.exe\u2066x\u009b31m\u007f\r\ttabbed\nnext';

  it('ack list prints control and bidi characters as visible escapes; --json keeps the same text', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'iw-terminal-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ state: { backend: 'file', dir: join(dir, 'state') } }));
    const added = await runImagewarden([
      'ack',
      'add',
      '-c',
      config,
      '--repository',
      'harbor.example.org/team/app',
      '--vulnerability',
      'CVE-2024-3094',
      '--reason',
      HOSTILE,
      '--author',
      `mallory\u202e`,
    ]);

    // Act
    const list = await runImagewarden(['ack', 'list', '-c', config]);
    const json = await runImagewarden(['ack', 'list', '-c', config, '--json']);

    // Assess: nothing a terminal obeys, one line per ack, and nothing lost
    expect(added.code, added.stderr).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
    const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    for (const out of [list.stdout, list.stderr, json.stdout, json.stderr]) expect(out).not.toMatch(unsafe);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    expect(list.stdout).toContain(
      'ok\\u001b]0;pwned\\u0007\\u001b[2J\\u202egnp.exe\\u2066x\\u009b31m\\u007f\\u000d\\u0009tabbed\\u000anext',
    );
    const parsed = JSON.parse(json.stdout) as { reason: string; author: string }[];
    expect(parsed[0]?.reason).toBe(HOSTILE);
    expect(parsed[0]?.author).toBe('mallory\u202e');
  });

  it('escaping is idempotent and leaves ordinary text alone', () => {
    expect(escapeTerminal(escapeTerminal(HOSTILE))).toBe(escapeTerminal(HOSTILE));
    expect(escapeTerminal('Blåbærsyltetøy 1.2\tok\n')).toBe('Blåbærsyltetøy 1.2\tok\n');
  });
});
