// Building registry clients from the `registry` config section, the one way every step does it.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { CredentialStore } from './credentials.ts';
import { RegistryClient } from './RegistryClient.ts';

/** A client with the given credentials and the configured platform, timeouts and retries. */
export function registryClientFor(
  config: Config,
  credentials: CredentialStore,
  logger: Logger,
): RegistryClient {
  return new RegistryClient({
    credentials,
    insecure: config.registry.insecure,
    platform: config.registry.platform,
    timeoutMs: config.registry.requestTimeout,
    pingTimeoutMs: config.registry.pingTimeout,
    retries: config.registry.retries,
    logger,
  });
}

/** A client with the credentials of `registry.dockerConfig`, when set. */
export async function registryClientFromConfig(config: Config, logger: Logger): Promise<RegistryClient> {
  const credentials = config.registry.dockerConfig
    ? await CredentialStore.fromDockerConfigFile(config.registry.dockerConfig)
    : CredentialStore.empty();
  return registryClientFor(config, credentials, logger);
}
