import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../../core/errors.ts';
import { CredentialStore } from '../../../../../core/registry/credentials.ts';
import { withRegistryCredentials } from '../../../../../functions/handlers/lib/registryCredentials.ts';
import { testRuntime } from '../support.ts';

const ARN = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:imagewarden/registry-docker-config-AbCdEf';
const auth = Buffer.from('robot$imagewarden:s3cret').toString('base64');
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function runtimeWith(secret: string) {
  const runtime = testRuntime();
  return {
    ...runtime,
    env: { REGISTRY_DOCKER_CONFIG_SECRET: ARN },
    secrets: {
      env: {},
      secretsManager: async (arn: string) => (arn === ARN ? secret : Promise.reject(new Error('no'))),
    },
  };
}

describe('withRegistryCredentials', () => {
  it('writes the Docker config secret to a private file and points registry.dockerConfig at it', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'iw-cred-'));
    const secret = JSON.stringify({ auths: { 'harbor.example.org': { auth } } });

    // Act
    const runtime = await withRegistryCredentials(runtimeWith(secret), dir);

    // Assess
    const path = runtime.config.registry.dockerConfig as string;
    expect(path.startsWith(dir)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const store = CredentialStore.fromDockerConfig(await readFile(path, 'utf8'));
    expect(store.get('harbor.example.org')).toEqual({ username: 'robot$imagewarden', password: 's3cret' });
  });

  it('leaves the runtime alone when no secret is configured', async () => {
    // Prepare
    const runtime = testRuntime();

    // Act
    const out = await withRegistryCredentials(runtime);

    // Assess
    expect(out).toBe(runtime);
  });

  it('refuses a secret that is not a Docker config, naming the secret', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'iw-cred-'));

    // Act
    const run = withRegistryCredentials(runtimeWith('{"auths": '), dir);

    // Assess
    await expect(run).rejects.toThrow(ValidationError);
    await expect(run).rejects.toThrow(/registry-docker-config/);
  });
});
