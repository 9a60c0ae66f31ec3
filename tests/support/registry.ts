// Starts a real registry (Debian docker-registry, distribution 2.8) on a free loopback port:
// anonymous, htpasswd basic auth, or token auth backed by tests/support/token-issuer.ts;
// optionally over TLS with a certificate from a throwaway CA (tests/support/test-ca.ts).
// Storage is a temp dir with deletes enabled; stop() kills it by pid and removes the dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, stopProcess, track, waitUntil } from './ports.ts';
import { requireBinary } from './require.ts';
import { makeTestCa } from './test-ca.ts';
import { startTokenIssuer, type TokenIssuer } from './token-issuer.ts';

export type RegistryAuth = 'none' | 'basic' | 'token';

/** The test user of the basic and token registries. */
export const TEST_USERNAME = 'imagewarden';
export const TEST_PASSWORD = 'imagewarden-test-password';
// bcrypt (cost 4) of TEST_PASSWORD: distribution's htpasswd only accepts bcrypt and Node has
// no bcrypt without a dependency, so the hash of the fixed test password is a fixture.
const TEST_PASSWORD_BCRYPT = '$2b$04$ceLtGHAxvWrxxnq60Syq4OJicctmBeinTZHOSXDYl4Cf1AVvf/1ZK';

export interface RegistryOptions {
  auth: RegistryAuth;
  /** Token auth only: anonymous clients may pull (default false: they get a token with no access). */
  anonymousPull?: boolean;
  /** Token auth only: lifetime of tokens in seconds. */
  tokenExpiresIn?: number;
  /** Basic auth only: the one htpasswd user instead of the test user (bcrypt of the password). */
  user?: { username: string; password: string; bcrypt: string };
  /** Serve HTTPS with a certificate of a fresh test CA (see `caFile`). */
  tls?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the domain part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT` (`https://` in tls mode). */
  url: string;
  /** TLS mode only: the PEM of the CA that signed the registry's certificate. */
  caFile?: string;
  auth: RegistryAuth;
  username?: string;
  password?: string;
  /** Token auth only: the issuer, whose `requests` tests may inspect. */
  issuer?: TokenIssuer;
  /** The registry's storage root on disk. */
  storageDir: string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions): Promise<TestRegistry> {
  const bin = requireBinary('docker-registry', 'docker-registry');
  const dir = await mkdtemp('/tmp/iwr-');
  const storageDir = join(dir, 'storage');
  const logFile = join(dir, 'registry.log');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let issuer: TokenIssuer | undefined;
  let auth: Record<string, unknown> | undefined;
  const user = options.user ?? {
    username: TEST_USERNAME,
    password: TEST_PASSWORD,
    bcrypt: TEST_PASSWORD_BCRYPT,
  };
  if (options.auth === 'basic') {
    writeFileSync(join(dir, 'htpasswd'), `${user.username}:${user.bcrypt}\n`);
    auth = { htpasswd: { realm: 'imagewarden-test', path: join(dir, 'htpasswd') } };
  } else if (options.auth === 'token') {
    const service = 'imagewarden-test-registry';
    const issuerName = 'imagewarden-test-issuer';
    issuer = await startTokenIssuer({
      dir,
      service,
      issuer: issuerName,
      username: TEST_USERNAME,
      password: TEST_PASSWORD,
      anonymousPull: options.anonymousPull ?? false,
      ...(options.tokenExpiresIn !== undefined ? { expiresIn: options.tokenExpiresIn } : {}),
    });
    auth = {
      token: { realm: issuer.url, service, issuer: issuerName, rootcertbundle: issuer.certFile },
    };
  }
  const ca = options.tls ? makeTestCa(dir) : undefined;
  const scheme = ca ? 'https' : 'http';
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: host,
      secret: 'imagewarden-test-secret',
      ...(ca ? { tls: { certificate: ca.certFile, key: ca.keyFile } } : {}),
    },
    ...(auth ? { auth } : {}),
  };
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, stringify(config));
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(bin, ['serve', configFile], { stdio: ['ignore', log, log] });
  closeSync(log); // the child has its own copy
  track(child);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 5_000);
    await issuer?.stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitUntil(
      `docker-registry on ${host}`,
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`docker-registry exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8')}`);
        }
        const status = await probe(
          `${scheme}://${host}/v2/`,
          ca ? readFileSync(ca.caFile, 'utf8') : undefined,
        );
        return status === 200 || status === 401;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host,
    url: `${scheme}://${host}`,
    ...(ca ? { caFile: ca.caFile } : {}),
    auth: options.auth,
    ...(options.auth === 'basic' ? { username: user.username, password: user.password } : {}),
    ...(options.auth === 'token' ? { username: TEST_USERNAME, password: TEST_PASSWORD } : {}),
    ...(issuer ? { issuer } : {}),
    storageDir,
    logFile,
    stop,
  };
}

/** The status of one GET (over https trusting `ca` when given). */
function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, { ca, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A Docker config.json / `.dockerconfigjson` granting the test user access to `registry`. */
export function dockerConfigJson(registry: Pick<TestRegistry, 'host' | 'username' | 'password'>): string {
  if (registry.username === undefined) return JSON.stringify({ auths: {} });
  const auth = Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64');
  return JSON.stringify({ auths: { [registry.host]: { auth } } });
}
