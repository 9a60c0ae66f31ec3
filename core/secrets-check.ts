// The secrets a function needs, checked once when it starts (cold start), instead of each
// step failing on its own deep inside a run. Terraform creates the secrets only an operator can
// know (Elasticsearch and Nivlheim API keys, Clair PSK, registry credentials) without values;
// until one is set:
//   - a REQUIRED secret (the function cannot do its job without it) fails the start with one
//     error naming the secret's ARN and the command that sets it;
//   - an OPTIONAL one turns off the feature that uses it (the config is returned without it),
//     logged as one summary line and counted as the SecretsMissing metric.
// Only a secret that is missing (no such secret, no value yet, variable unset) counts as
// missing; any other failure (access denied, Secrets Manager down) is thrown as it is.
import type { Config } from './config/schema.ts';
import { resolveSecret, type SecretSources } from './config/secrets.ts';
import { ConfigError, NotFoundError, ValidationError } from './errors.ts';
import type { Logger } from './logger.ts';
import { emfLine } from './metrics/emf.ts';

export type FunctionName = 'inventory' | 'scan-worker' | 'notify' | 'ack' | 'clair-webhook';

export interface SecretUse {
  /** The secret's name in Terraform (secrets.tf). */
  secret: string;
  /** Where the function finds its reference; undefined when this deployment does not use it. */
  ref: (config: Config, env: NodeJS.ProcessEnv) => string | undefined;
  required: boolean;
  /** What needs it, for the messages. */
  feature: string;
  /** The config and environment without the feature, for an optional secret that is missing. */
  without?: (config: Config, env: NodeJS.ProcessEnv) => { config: Config; env: NodeJS.ProcessEnv };
}

const esApiKey = (c: Config) => c.inventory.elasticsearch?.apiKey;
const nivlheimKey = (c: Config) => c.owners.nivlheim?.apiKey;
const clairPsk = (c: Config) => c.scan.clair?.psk;
const dockerConfig = (_: Config, env: NodeJS.ProcessEnv) => env.REGISTRY_DOCKER_CONFIG_SECRET;

const withoutNivlheim: SecretUse['without'] = (config, env) => ({
  config: { ...config, owners: { ...config.owners, nivlheim: undefined } },
  env,
});
const withoutDockerConfig: SecretUse['without'] = (config, env) => ({
  config,
  env: { ...env, REGISTRY_DOCKER_CONFIG_SECRET: undefined },
});

/** Which secret each function reads, and whether it can run without it (README: "Secrets"). */
export const FUNCTION_SECRETS: Record<FunctionName, SecretUse[]> = {
  inventory: [
    {
      secret: 'elasticsearch-api-key',
      ref: esApiKey,
      required: true,
      feature: 'the inventory (Elasticsearch)',
    },
    {
      secret: 'nivlheim-api-key',
      ref: nivlheimKey,
      required: false,
      feature: 'host owners from Nivlheim',
      without: withoutNivlheim,
    },
    {
      secret: 'clair-psk',
      ref: clairPsk,
      required: false,
      feature: 'processing Clair notifications',
      without: (config, env) => ({ config: { ...config, scan: { ...config.scan, clair: undefined } }, env }),
    },
    {
      secret: 'registry-docker-config',
      ref: dockerConfig,
      required: false,
      feature: 'private registry credentials',
      without: withoutDockerConfig,
    },
  ],
  'scan-worker': [
    { secret: 'clair-psk', ref: clairPsk, required: true, feature: 'scanning (Clair)' },
    {
      secret: 'registry-docker-config',
      ref: dockerConfig,
      required: false,
      feature: 'private registry credentials',
      without: withoutDockerConfig,
    },
  ],
  notify: [
    { secret: 'ack-hmac-key', ref: (c) => c.notify.ack.hmacKey, required: true, feature: 'signed ack links' },
    {
      secret: 'nivlheim-api-key',
      ref: nivlheimKey,
      required: false,
      feature: 'host owners from Nivlheim',
      without: withoutNivlheim,
    },
    {
      secret: 'elasticsearch-api-key',
      ref: (c) => (c.notify.selinuxFindings ? esApiKey(c) : undefined),
      required: false,
      feature: 'SELinux findings (Elasticsearch)',
      without: (config, env) => ({
        config: { ...config, notify: { ...config.notify, selinuxFindings: undefined } },
        env,
      }),
    },
  ],
  ack: [
    {
      secret: 'ack-hmac-key',
      ref: (c) => c.notify.ack.hmacKey,
      required: true,
      feature: 'verifying ack links',
    },
  ],
  'clair-webhook': [
    { secret: 'clair-psk', ref: clairPsk, required: true, feature: "verifying Clair's notifications" },
  ],
};

/** True when resolving failed because the secret has no value (rather than cannot be read). */
function isMissing(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof NotFoundError || e instanceof ValidationError) return true;
    if (e instanceof ConfigError && e.cause === undefined) return true; // env:/file: unset
  }
  return false;
}

const refName = (ref: string): string => ref.split('#')[0] ?? ref;

export interface SecretsCheckResult {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Optional secrets found missing, with the feature turned off. */
  degraded: Array<{ secret: string; ref: string; feature: string }>;
}

export interface SecretsCheckPorts {
  secrets: SecretSources;
  logger: Logger;
  /** For the SecretsMissing metric (EMF); no metric without a function name. */
  functionName?: string | undefined;
  write?: (line: string) => void;
  now?: () => number;
}

/**
 * Resolves every secret `fn` uses (Secrets Manager lookups are cached, so the steps that need
 * them later ask nothing again). Throws a ConfigError naming the ARN of a missing required
 * secret; returns the config without the features of missing optional ones.
 */
export async function checkFunctionSecrets(
  fn: FunctionName,
  config: Config,
  env: NodeJS.ProcessEnv,
  ports: SecretsCheckPorts,
): Promise<SecretsCheckResult> {
  let result: SecretsCheckResult = { config, env, degraded: [] };
  for (const use of FUNCTION_SECRETS[fn]) {
    const ref = use.ref(config, env);
    if (!ref) continue;
    try {
      await resolveSecret(ref, ports.secrets);
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (use.required || !use.without) {
        throw new ConfigError(
          `required secret ${refName(ref)} (${use.secret}) has no value, so ${fn} cannot run: ${use.feature} needs it. Set it with: aws secretsmanager put-secret-value --secret-id ${refName(ref)} --secret-string '...'`,
          [],
          { cause: error },
        );
      }
      const next = use.without(result.config, result.env);
      result = {
        ...next,
        degraded: [...result.degraded, { secret: use.secret, ref: refName(ref), feature: use.feature }],
      };
    }
  }
  if (result.degraded.length > 0) {
    ports.logger.warn(
      { degraded: result.degraded },
      `optional secrets not set, running without: ${result.degraded.map((d) => `${d.feature} (${d.secret})`).join(', ')}`,
    );
    if (ports.functionName) {
      const line = emfLine(
        { SecretsMissing: result.degraded.length },
        { dimensions: { FunctionName: ports.functionName }, timestamp: (ports.now ?? Date.now)() },
      );
      (ports.write ?? ((l: string) => process.stdout.write(l)))(`${line}\n`);
    }
  }
  return result;
}

/** A handler runtime after the start check: its config and environment without degraded features. */
export async function withCheckedSecrets<
  R extends { config: Config; env: NodeJS.ProcessEnv; secrets: SecretSources; logger: Logger },
>(fn: FunctionName, runtime: R): Promise<R> {
  const checked = await checkFunctionSecrets(fn, runtime.config, runtime.env, {
    secrets: runtime.secrets,
    logger: runtime.logger,
    functionName: runtime.env.AWS_LAMBDA_FUNCTION_NAME,
  });
  return { ...runtime, config: checked.config, env: checked.env };
}
