// Fault and abuse: secrets in failure paths. Each adapter is driven into failure with a real
// credential configured, through the CLI in-process (what an operator sees on stderr) or the
// one logger, against servers that behave badly: an Elasticsearch and a Clair that answer
// errors quoting the request headers (a misconfigured proxy), one that is not there at all, an
// SMTP server (smtp-server) that quotes the refused password, a Secrets Manager secret whose
// value a downstream error repeats. No captured line may hold the secret.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecretsManagerLookup } from '../../core/aws/secretsManagerLookup.ts';
import { loadConfig } from '../../core/config/load.ts';
import { resolveSecret } from '../../core/config/secrets.ts';
import { ConfigError } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import { clearSecrets } from '../../core/redact.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import { saveInventory } from '../../functions/inventory/inventoryStore.ts';
import { runImagewarden } from '../support/cli.ts';
import { startSmtpServer } from '../support/smtp.ts';
import { policy, storeFindings } from '../unit/functions/notify/fixtures.ts';
import { item, snapshot } from '../unit/functions/scan/scan-fixtures.ts';

const ES_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const CLAIR_PSK = Buffer.from('clair-pre-shared-key-for-the-abuse-suite').toString('base64');
const SMTP_PASS = 'smtp-Pa55word-never-logged';

let echo: Server;
let echoUrl: string;
let dir: string;

beforeAll(async () => {
  // answers every request with an error that quotes what it received, headers included
  echo = createServer((req, res) => {
    res.writeHead(req.url?.startsWith('/indexer') ? 500 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { reason: `refused request with headers ${JSON.stringify(req.headers)}` } }),
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});
afterEach(async () => {
  clearSecrets();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function configFile(content: unknown): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'iw-secrets-'));
  const path = join(dir, 'config.json');
  await writeFile(
    path,
    JSON.stringify({ state: { backend: 'file', dir: join(dir, 'state') }, ...(content as object) }),
  );
  return path;
}

describe('fault and abuse: secrets never reach a log line', () => {
  it.each([
    ['answers 401 quoting the request headers', () => echoUrl],
    ['is unreachable', () => 'http://127.0.0.1:1'],
  ])('Elasticsearch with an API key that %s', async (_what, node) => {
    // Prepare
    const config = await configFile({
      inventory: {
        source: 'elasticsearch',
        elasticsearch: { node: node(), apiKey: 'env:ES_KEY', maxRetries: 0 },
      },
      log: { level: 'debug' },
    });

    // Act
    const run = await runImagewarden(['inventory', '-c', config], { env: { ES_KEY } });

    // Assess: the failure is reported, the key is not in it
    expect(run.code).not.toBe(0);
    expect(run.stderr.length).toBeGreaterThan(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain(ES_KEY);
    expect(`${run.stdout}${run.stderr}`).not.toContain(ES_KEY.slice(0, 20));
  });

  it('Clair with a PSK that answers errors quoting the signed request', async () => {
    // Prepare: an inventory to scan, Clair behind a proxy that quotes headers
    const config = await configFile({
      scan: { clair: { url: echoUrl, psk: 'env:CLAIR_PSK', retries: 0 } },
      log: { level: 'debug' },
    });
    await saveInventory(
      new FileStateStore(join(dir, 'state')),
      snapshot([item('harbor.example.org/team/app', `sha256:${'a'.repeat(64)}`)]),
    );

    // Act
    const run = await runImagewarden(['scan', '-c', config], { env: { CLAIR_PSK } });

    // Assess: neither the PSK nor a bearer token it signed is shown
    const out = `${run.stdout}${run.stderr}`;
    expect(run.code).not.toBe(0);
    expect(out).not.toContain(CLAIR_PSK);
    expect(out).not.toMatch(/Bearer\s+eyJ/);
  });

  it('SMTP auth refused by a server that quotes the password', async () => {
    // Prepare
    const smtp = await startSmtpServer(
      {},
      { auth: { user: 'imagewarden', pass: 'the-right-one' }, quoteCredentials: true },
    );
    const config = await configFile({
      owners: { securityContact: 'security@example.org' },
      notify: {
        transport: 'smtp',
        smtp: { host: smtp.host, port: smtp.port, username: 'imagewarden', password: 'env:SMTP_PASS' },
      },
      log: { level: 'debug' },
    });
    await storeFindings(new FileStateStore(join(dir, 'state')), [policy({ owner: 'ann@example.org' })]);

    // Act
    const run = await runImagewarden(['notify', '-c', config], { env: { SMTP_PASS } });
    await smtp.stop();

    // Assess: the message stays pending, the password appears nowhere
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/pending 1/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(SMTP_PASS);
    expect(smtp.received).toHaveLength(0);
  });

  it('a Secrets Manager secret, all its keys, whatever error repeats them later', async () => {
    // Prepare: a JSON secret; one key used, the other not
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
    const lookup = createSecretsManagerLookup({
      client: {
        send: (async () => ({
          SecretString: JSON.stringify({ apiKey: 'sm-api-key-0123456789', other: 'sm-other-9876543210' }),
          $metadata: {},
        })) as never,
      },
    });
    const arn = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:imagewarden-AbCdEf';

    // Act
    const key = await resolveSecret(`${arn}#apiKey`, { secretsManager: lookup });
    const upstream = Object.assign(
      new Error(`401 from es: key ${key} not valid (also tried sm-other-9876543210)`),
      {
        meta: { headers: { authorization: `ApiKey ${key}` }, body: { echoed: key } },
      },
    );
    logger.error({ err: new Error('search failed', { cause: upstream }) }, `inventory failed with ${key}`);

    // Assess
    const text = lines.join('');
    expect(key).toBe('sm-api-key-0123456789');
    expect(text).toContain('search failed');
    expect(text).not.toContain('sm-api-key-0123456789');
    expect(text).not.toContain('sm-other-9876543210');
    expect(text).not.toMatch(/authorization/i);
  });

  it('config refuses credentials inside URLs and never echoes a secret field, not even a number', () => {
    // Act
    const outcome = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig({ env });
        return undefined;
      } catch (error) {
        return error as ConfigError;
      }
    };
    const inUrl = outcome({ IMAGEWARDEN_SCAN__CLAIR__URL: 'http://clairuser:hunter2-clair@clair:6060' });
    const inline = outcome({
      IMAGEWARDEN_SCAN__CLAIR__URL: 'http://clair:6060',
      IMAGEWARDEN_SCAN__CLAIR__PSK: '123456789012345',
    });

    // Assess
    const shown = (e: ConfigError | undefined) => `${e?.message}\n${e?.issues.join('\n')}`;
    expect(inUrl).toBeInstanceOf(ConfigError);
    expect(shown(inUrl)).toMatch(/scan\.clair\.url: credentials inside the URL are not accepted.*`psk`/);
    expect(shown(inUrl)).not.toContain('hunter2-clair');
    expect(inline).toBeInstanceOf(ConfigError);
    expect(shown(inline)).toMatch(/scan\.clair\.psk: expected a secret reference/);
    expect(shown(inline)).not.toContain('123456789012345');
  });
});
