// The Secrets Manager source for core/config/secrets.ts `resolveSecret`: fetches a secret's
// value by ARN, caches it in the process (a warm Lambda container reuses it) for a TTL so a
// rotated secret is picked up, and shares one request between concurrent lookups.
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type Clock, systemClock } from '../clock.ts';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../errors.ts';
import { registerSecret } from '../redact.ts';

/** The one method of SecretsManagerClient used here; tests pass a fake. */
export type SecretsManagerSender = Pick<SecretsManagerClient, 'send'>;

export interface SecretsManagerLookupOptions {
  /** One client, or a client per region (an ARN is only readable through its own region). */
  client: SecretsManagerSender | ((region: string | undefined) => SecretsManagerSender);
  /** How long a value is reused before asking again (default 5 minutes). */
  ttlMs?: number;
  clock?: Clock;
}

/** `(arn) => SecretString`, the shape `SecretSources.secretsManager` takes. */
export type SecretsManagerLookup = (arn: string) => Promise<string>;

export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

interface Entry {
  value: Promise<string>;
  fetchedAt: number;
}

/** Region of a Secrets Manager ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`). */
export function secretArnRegion(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(arn)?.[1];
}

async function fetchSecret(client: SecretsManagerSender, arn: string): Promise<string> {
  let out: GetSecretValueCommandOutput;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'error';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const details = { cause: error, ...(status === undefined ? {} : { status }) };
    if (name === 'ResourceNotFoundException')
      throw new NotFoundError(`secret ${arn} does not exist`, details);
    if (name === 'AccessDeniedException' || name === 'DecryptionFailure') {
      throw new AuthError('secretsmanager', `not allowed to read ${arn} (${name})`, details);
    }
    throw new UpstreamError('secretsmanager', `reading ${arn} failed: ${name}`, details);
  }
  const text =
    typeof out.SecretString === 'string'
      ? out.SecretString
      : out.SecretBinary instanceof Uint8Array
        ? Buffer.from(out.SecretBinary).toString('utf8')
        : undefined;
  if (text !== undefined) {
    registerSecretText(text);
    return text;
  }
  throw new ValidationError(
    `secret ${arn}`,
    'has no value yet: set one with `aws secretsmanager put-secret-value`',
  );
}

/** Registers a secret for redaction: the whole text and, for a JSON object, each string in it. */
function registerSecretText(text: string): void {
  registerSecret(text);
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') {
      for (const value of Object.values(parsed)) if (typeof value === 'string') registerSecret(value);
    }
  } catch {
    // not JSON: the whole text is the secret
  }
}

export function createSecretsManagerLookup(options: SecretsManagerLookupOptions): SecretsManagerLookup {
  const ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, Entry>();
  return (arn: string) => {
    const now = clock.now().getTime();
    const cached = cache.get(arn);
    if (cached && now - cached.fetchedAt < ttlMs) return cached.value;
    const client =
      typeof options.client === 'function' ? options.client(secretArnRegion(arn)) : options.client;
    const value = fetchSecret(client, arn);
    cache.set(arn, { value, fetchedAt: now });
    // A failure is not remembered: the next lookup asks again.
    value.catch(() => {
      if (cache.get(arn)?.value === value) cache.delete(arn);
    });
    return value;
  };
}
