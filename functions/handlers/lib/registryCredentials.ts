// Registry credentials in Lambda. The config names a Docker config file (registry.dockerConfig),
// which a Lambda package should not carry; terraform instead creates a Secrets Manager secret
// holding that JSON and passes its ARN in REGISTRY_DOCKER_CONFIG_SECRET. On cold start the
// secret is validated and written to a private file under /tmp, and the config points there,
// so the inventory (tags -> digests, image age) and scan (manifests, Clair's blob auth) steps
// read private registries exactly as the CLI does.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSecret } from '../../../core/config/secrets.ts';
import { CredentialStore } from '../../../core/registry/credentials.ts';
import type { Runtime } from './runtime.ts';

export const DOCKER_CONFIG_SECRET_ENV = 'REGISTRY_DOCKER_CONFIG_SECRET';

export async function withRegistryCredentials(runtime: Runtime, dir = tmpdir()): Promise<Runtime> {
  const ref = runtime.env[DOCKER_CONFIG_SECRET_ENV];
  if (!ref) return runtime;
  const text = await resolveSecret(ref, runtime.secrets);
  // refuse a broken secret here, with its name, rather than on the first registry call
  CredentialStore.fromDockerConfig(text, `secret ${ref.split('#')[0]}`);
  const path = join(dir, 'imagewarden-docker-config.json');
  await writeFile(path, text, { mode: 0o600 });
  return {
    ...runtime,
    config: { ...runtime.config, registry: { ...runtime.config.registry, dockerConfig: path } },
  };
}
