// The Lambda artifacts: each handler bundled as scripts/build.mjs bundles it (esbuild, ESM,
// one file) must load in a bare Node process without any configuration (config is read on
// the first invocation, not at import) and export `handler`, the name terraform sets. Each
// stays within the issue-15 budget (under 1.5 MB) and holds only what its handler uses
// (esbuild's metafile says what went in), and the parts of zod left out of them change
// nothing a user reads.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config/load.ts';

const HANDLERS = 'functions/handlers';
let dir: string;
let out: string;
let names: string[];
let meta: string;

const MAX_BYTES = 1.5 * 1024 * 1024;

/** The packages (node_modules/<name>) and stand-ins esbuild put into a handler's bundle. */
function bundledPackages(name: string): Set<string> {
  const metafile = JSON.parse(readFileSync(join(meta, `${name}.json`), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at >= 0) {
      const first = parts[at + 1] ?? '';
      packages.add(first.startsWith('@') ? `${first}/${parts[at + 2]}` : first);
    } else if (input.includes(':')) packages.add(input.slice(0, input.indexOf(':')));
  }
  return packages;
}

/** Invokes a bundled handler in a fresh process with `env`; what it answered or threw. */
function invokeBundle(
  name: string,
  env: Record<string, string>,
  { stack = false, from = out, event = {} as unknown } = {},
): string {
  const file = join(from, name, 'index.mjs');
  const script = [
    `const { handler } = await import(${JSON.stringify(file)});`,
    `try { process.stdout.write('answered ' + JSON.stringify(await handler(${JSON.stringify(event)}, {}))); }`,
    `catch (error) { process.stdout.write(${stack ? 'error.stack' : "error.name + ': ' + error.message"}); }`,
  ].join('\n');
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

/** A loopback HTTP server answering every request with `answer`; the requests' headers are kept. */
async function serve(answer: {
  status: number;
  body: string;
}): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () =>
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-lambda-'));
  names = (await readdir(HANDLERS)).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  // Run scripts/build.mjs itself (the artifacts terraform deploys) in a mirror of the
  // repository (symlinks), so the shared dist/ is left alone.
  const mirror = join(dir, 'src');
  await mkdir(mirror);
  for (const entry of readdirSync('.').filter((e) => e !== 'dist' && e !== '.git'))
    symlinkSync(resolve(entry), join(mirror, entry));
  execFileSync(process.execPath, ['scripts/build.mjs', '--metafile'], {
    cwd: mirror,
    timeout: 120_000,
    stdio: 'pipe',
  });
  out = join(mirror, 'dist', 'lambda');
  meta = join(mirror, 'dist', 'meta');
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('loads every handler bundle with an empty environment and finds `handler`', async () => {
    for (const name of names) {
      // Prepare
      const file = join(out, name, 'index.mjs');
      const script = `import(${JSON.stringify(file)}).then((m) => process.stdout.write(typeof m.handler))`;

      // Act: a separate process, as Lambda's runtime imports index.mjs
      const kind = execFileSync(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH ?? '' },
      }).toString();

      // Assess
      expect(kind, name).toBe('function');
      expect((await stat(file)).size, name).toBeLessThan(MAX_BYTES);
    }
    expect(names.sort()).toEqual(['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker']);
  });

  it('keeps the Elasticsearch client, nodemailer and Arrow out of the ack and webhook bundles', () => {
    for (const name of ['ack', 'clair-webhook']) {
      // Act
      const packages = bundledPackages(name);

      // Assess: the stand-ins too (no-arrow is what the ES client would pull in)
      for (const absent of [
        '@elastic/elasticsearch',
        '@elastic/transport',
        'nodemailer',
        'apache-arrow',
        'no-arrow',
      ])
        expect(packages.has(absent), `${name} holds ${absent}`).toBe(false);
      expect(packages.has('zod'), `${name}: the metafile is read`).toBe(true);
    }
  });

  it('bundles no npm undici and, outside notify (its acks file), no YAML parser', () => {
    for (const name of names) {
      // Act
      const packages = bundledPackages(name);

      // Assess: registry.caFile goes through node:https, the ES client through HttpConnection;
      // the config comes as JSON
      expect(packages.has('undici'), `${name} holds undici`).toBe(false);
      if (name !== 'notify') expect(packages.has('yaml'), `${name} holds yaml`).toBe(false);
    }
    expect(bundledPackages('notify').has('@elastic/elasticsearch')).toBe(true);
  });

  it("reports a bad config in the same words as the sources (zod's English messages kept)", () => {
    // Prepare: one of each kind of problem
    const env = {
      IMAGEWARDEN_CONFIG_JSON: JSON.stringify({
        log: { level: 'loud' },
        state: { backend: 'dynamodb', table: 5 },
        scan: { clair: { url: 'clair:6060' } },
        notify: { sendRate: -1 },
        bogus: 1,
      }),
    };
    let expected = '';
    try {
      loadConfig({ env });
    } catch (error) {
      expected = `${(error as Error).name}: ${(error as Error).message}`;
    }

    // Act
    const answer = invokeBundle('ack', env);

    // Assess
    expect(expected).toContain('log.level: Invalid option: expected one of');
    expect(expected).toContain('state.table: Invalid input: expected string, received number');
    expect(expected).toContain('notify.sendRate: Too small: expected number to be >0');
    expect(answer).toBe(expected);
  });

  it('refuses a YAML config file in Lambda with a config error saying what to use', () => {
    // Prepare
    const file = join(dir, 'imagewarden.yaml');
    writeFileSync(file, 'log:\n  level: debug\n');

    // Act
    const answer = invokeBundle('clair-webhook', { IMAGEWARDEN_CONFIG: file });

    // Assess
    expect(answer).toBe(
      `ConfigError: config file ${file}: only JSON config files (*.json) are read here; YAML is read by ` +
        'the imagewarden CLI, and the Lambda functions take their config as JSON in IMAGEWARDEN_CONFIG_JSON',
    );
  });

  it('names the TypeScript sources in stack traces from the shipped map, as Node would, with no flag', () => {
    // Prepare
    const env = { IMAGEWARDEN_CONFIG_JSON: '{"bogus":1}' };

    // Act: the environment terraform/main.tf sets has no NODE_OPTIONS; Node's own mapping beside it
    const stack = invokeBundle('ack', env, { stack: true });
    const byNode = invokeBundle('ack', { ...env, NODE_OPTIONS: '--enable-source-maps' }, { stack: true });

    // Assess: the same frames, names and positions (Node writes an unnamed one as `<anonymous> (...)`)
    expect(stack).toMatch(/^ConfigError: invalid config/);
    expect(stack).toMatch(/at parseConfig \(\/\S+\/core\/config\/layers\.ts:\d+:\d+\)/);
    expect(stack).toMatch(/at createRuntime \(\/\S+\/functions\/handlers\/lib\/runtime\.ts:\d+:\d+\)/);
    expect(stack).not.toMatch(/index\.mjs:\d+/);
    expect(stack).toBe(byNode.replace(/at <anonymous> \((.*)\)$/gm, 'at $1'));
  });

  it('leaves the frames as they are when the map is missing', async () => {
    // Prepare: a copy of the bundle without its map
    const bare = join(dir, 'no-map');
    await mkdir(join(bare, 'ack'), { recursive: true });
    writeFileSync(join(bare, 'ack', 'index.mjs'), readFileSync(join(out, 'ack', 'index.mjs')));

    // Act
    const unmapped = invokeBundle(
      'ack',
      { IMAGEWARDEN_CONFIG_JSON: '{"bogus":1}' },
      { stack: true, from: bare },
    );

    // Assess
    expect(unmapped).toMatch(/^ConfigError: invalid config/);
    expect(unmapped).toMatch(/at \S+ \(file:\/\/\S+\/ack\/index\.mjs:\d+:\d+\)/);
    expect(unmapped).not.toMatch(/layers\.ts/);
  });

  it('takes AWS credentials from the environment or the container endpoint only, and says so', () => {
    // Prepare: a handler that reaches DynamoDB on its first invocation
    const env = {
      AWS_REGION: 'eu-west-1',
      IMAGEWARDEN_CONFIG_JSON: JSON.stringify({ state: { backend: 'dynamodb', table: 'imagewarden' } }),
      HOME: dir,
    };

    // Act: the notify function takes its run lease in DynamoDB first
    const answer = invokeBundle('notify', env);

    // Assess: the SDK's profile, SSO and web-identity providers are not in the bundle
    expect(bundledPackages('ack').has('@aws-sdk/credential-provider-ini')).toBe(false);
    expect(bundledPackages('ack').has('@aws-sdk/nested-clients')).toBe(false);
    expect(answer).toMatch(/^UpstreamError: dynamodb:imagewarden: acquireLease failed: .*no AWS credentials/);
    expect(answer).toContain('the Lambda handlers read them from the environment (AWS_ACCESS_KEY_ID');
  });

  it('signs with the credentials the container credentials endpoint serves', async () => {
    // Prepare: the endpoint (as Lambda and EKS Pod Identity serve it) and a DynamoDB stand-in
    // that refuses everything, keeping the signed requests' headers
    const credentials = await serve({
      status: 200,
      body: JSON.stringify({
        AccessKeyId: 'AKIACONTAINERROLE',
        SecretAccessKey: 'secret',
        Token: 'session-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    const dynamo = await serve({
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
        message: 'no',
      }),
    });
    const script = [
      `const { handler } = await import(${JSON.stringify(join(out, 'notify', 'index.mjs'))});`,
      "try { await handler({}, {}); } catch (error) { process.stdout.write(error.name + ': ' + error.message); }",
    ].join('\n');

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_REGION: 'eu-west-1',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${credentials.url}/creds`,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
        IMAGEWARDEN_CONFIG_JSON: JSON.stringify({ state: { backend: 'dynamodb', table: 'imagewarden' } }),
      },
    });
    credentials.server.close();
    dynamo.server.close();

    // Assess: DynamoDB was asked with the served key and session token, and its refusal is named
    expect(credentials.seen.length).toBeGreaterThan(0);
    expect(dynamo.seen[0]?.authorization).toMatch(/Credential=AKIACONTAINERROLE\//);
    expect(dynamo.seen[0]?.['x-amz-security-token']).toBe('session-token');
    expect(stdout).toMatch(/acquireLease failed: AccessDeniedException: no/);
  });
});
