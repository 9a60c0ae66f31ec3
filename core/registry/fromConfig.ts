// Building registry clients from the `registry` config section, the one way every step does it:
// credentials from `registry.dockerConfig` (and, for the runner, pull secrets) first, then
// Amazon ECR tokens for ECR hosts (`registry.ecr`); private CAs from `registry.caFile`.
import { createEcrTokenProvider } from '../aws/ecrAuthorization.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { type CredentialSource, chainCredentialSources } from './CredentialSource.ts';
import { readCaBundle } from './caBundle.ts';
import { CredentialStore } from './credentials.ts';
import { EcrCredentialSource, type EcrTokenProvider } from './EcrCredentialSource.ts';
import { RegistryClient } from './RegistryClient.ts';
import { fetchTrusting } from './trustingFetch.ts';

export interface RegistryClientDeps {
  /** Credentials tried after the given ones (the shared ECR source; see ecrSourceFromConfig). */
  fallback?: CredentialSource | undefined;
}

/**
 * The ECR source of `registry.ecr`, or undefined when it is off. Make one per process and
 * share it: its token cache is what spares GetAuthorizationToken calls.
 */
export function ecrSourceFromConfig(
  config: Config,
  logger: Logger,
  fetchToken: EcrTokenProvider = createEcrTokenProvider(
    config.registry.ecr.endpoint ? { endpoint: config.registry.ecr.endpoint } : {},
  ),
): EcrCredentialSource | undefined {
  const ecr = config.registry.ecr;
  if (!ecr.enabled) return undefined;
  return new EcrCredentialSource({
    fetchToken,
    refreshBeforeMs: ecr.refreshBefore,
    extraHosts: ecr.hosts,
    logger,
  });
}

const trustingFetch = new Map<string, typeof fetch>();

/**
 * The registry fetch: one per `registry.caFile` (none: the default store), shared by every
 * client of the process, so connections are pooled across steps.
 */
function fetchFor(config: Config): typeof fetch {
  const file = config.registry.caFile ?? '';
  let found = trustingFetch.get(file);
  if (found === undefined) {
    found = fetchTrusting(file === '' ? [] : readCaBundle(file));
    trustingFetch.set(file, found);
  }
  return found;
}

/** A client with the given credentials and the configured platform, timeouts, retries and CAs. */
export function registryClientFor(
  config: Config,
  credentials: CredentialSource,
  logger: Logger,
  deps: RegistryClientDeps = {},
): RegistryClient {
  const fetch = fetchFor(config);
  return new RegistryClient({
    credentials: deps.fallback ? chainCredentialSources(credentials, deps.fallback) : credentials,
    insecure: config.registry.insecure,
    platform: config.registry.platform,
    timeoutMs: config.registry.requestTimeout,
    pingTimeoutMs: config.registry.pingTimeout,
    retries: config.registry.retries,
    logger,
    fetch,
  });
}

/** A client with the credentials of `registry.dockerConfig`, when set, then ECR's. */
export async function registryClientFromConfig(
  config: Config,
  logger: Logger,
  deps: { fetchToken?: EcrTokenProvider } = {},
): Promise<RegistryClient> {
  const credentials = config.registry.dockerConfig
    ? await CredentialStore.fromDockerConfigFile(config.registry.dockerConfig)
    : CredentialStore.empty();
  return registryClientFor(config, credentials, logger, {
    fallback: deps.fetchToken
      ? ecrSourceFromConfig(config, logger, deps.fetchToken)
      : sharedEcrSource(config, logger),
  });
}

const sharedEcr = new Map<string, EcrCredentialSource | undefined>();

/** One ECR source per settings in the process, so a warm Lambda reuses its token across invocations. */
export function sharedEcrSource(config: Config, logger: Logger): EcrCredentialSource | undefined {
  const key = JSON.stringify(config.registry.ecr);
  if (!sharedEcr.has(key)) sharedEcr.set(key, ecrSourceFromConfig(config, logger));
  return sharedEcr.get(key);
}
