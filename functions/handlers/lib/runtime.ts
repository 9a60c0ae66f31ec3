// What every Lambda handler builds once per container (on cold start) and reuses while the
// container is warm: the config (bundled imagewarden.json + IMAGEWARDEN_* variables set by
// terraform), a logger, the state store, and secret sources whose Secrets Manager lookups
// are cached. This and lib/environment.ts are the only handler code reading process.env.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerLookup } from '../../../core/aws/secretsManagerLookup.ts';
import { type Clock, systemClock } from '../../../core/clock.ts';
import { loadConfig } from '../../../core/config/layers.ts';
import type { Config } from '../../../core/config/schema.ts';
import type { SecretSources } from '../../../core/config/secrets.ts';
import { createLogger, type Logger } from '../../../core/logger.ts';
import { COLLECTION_TTL_MS } from '../../../core/state/collections.ts';
import { createStateStore } from '../../../core/state/createStateStore.ts';
import type { StateStore } from '../../../core/state/StateStore.ts';

/** Records DynamoDB may expire (its TTL deletes them): see the registry in core/state. */
export const STATE_TTL_MS: Readonly<Record<string, number>> = COLLECTION_TTL_MS;

export interface Runtime {
  config: Config;
  logger: Logger;
  store: StateStore;
  clock: Clock;
  secrets: SecretSources;
  env: NodeJS.ProcessEnv;
}

/** Builds the runtime from an environment; a config error names every bad key. */
export function createRuntime(env: NodeJS.ProcessEnv, component: string): Runtime {
  const { config } = loadConfig({ env });
  const logger = createLogger({
    level: config.log.level,
    bindings: {
      component,
      ...(env.AWS_LAMBDA_FUNCTION_NAME ? { function: env.AWS_LAMBDA_FUNCTION_NAME } : {}),
    },
  });
  return {
    config,
    logger,
    store: createStateStore(config.state, { ttlMs: STATE_TTL_MS }),
    clock: systemClock,
    secrets: { env, secretsManager: createSecretsManagerLookup({ client: regionalClients() }) },
    env,
  };
}

/** The parts of the Lambda context the handlers use. */
export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/** The runtime's logger with this invocation's request id on every line (Lambda's Text log
 * format does not prefix what is written to stderr directly). */
export function invocationLogger(runtime: Runtime, context?: LambdaContext): Logger {
  return context?.awsRequestId ? runtime.logger.child({ requestId: context.awsRequestId }) : runtime.logger;
}

/**
 * A signal that aborts `marginMs` before the invocation's deadline, so a long step stops
 * between items and reports, instead of being killed mid-write when Lambda's timeout hits.
 */
export function deadlineSignal(
  context: LambdaContext | undefined,
  marginMs: number,
): { signal?: AbortSignal; dispose(): void } {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return { dispose: () => undefined };
  const controller = new AbortController();
  if (remaining <= marginMs) {
    controller.abort(new Error('Lambda deadline near'));
    return { signal: controller.signal, dispose: () => undefined };
  }
  const timer = setTimeout(() => controller.abort(new Error('Lambda deadline near')), remaining - marginMs);
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/** A Secrets Manager client per region, created when first needed (the function's own by default). */
function regionalClients(): (region: string | undefined) => SecretsManagerClient {
  const clients = new Map<string, SecretsManagerClient>();
  return (region) => {
    const name = region ?? '';
    let client = clients.get(name);
    if (!client) {
      client = new SecretsManagerClient(region ? { region } : {});
      clients.set(name, client);
    }
    return client;
  };
}

/**
 * Memoizes `build` per container. A failed build is not remembered, so a fixed secret or
 * config is picked up by the next invocation without a redeploy.
 */
export function once<T>(build: () => Promise<T> | T): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = Promise.resolve().then(build);
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}
