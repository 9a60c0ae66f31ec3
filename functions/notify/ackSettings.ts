// The ack-link settings both the notify run and the ack function read: the signing key and
// the expiry policy. Apart from fromConfig.ts so that the ack function's bundle does not
// carry the mail transports and the Elasticsearch client that file builds.
import type { Config } from '../../core/config/schema.ts';
import { resolveSecret, type SecretSources } from '../../core/config/secrets.ts';
import { ConfigError } from '../../core/errors.ts';
import type { ExpiryPolicy } from '../acks/Ack.ts';

export function expiryPolicy(config: Config): ExpiryPolicy {
  return { defaultDays: config.notify.ack.defaultDays, maxDays: config.notify.ack.maxDays };
}

export async function hmacKeyFromConfig(
  config: Config,
  secrets: SecretSources = {},
): Promise<string | undefined> {
  const ref = config.notify.ack.hmacKey;
  if (!ref) return undefined;
  const key = await resolveSecret(ref, secrets);
  if (key.length < 32) throw new ConfigError('notify.ack.hmacKey: the key must be at least 32 characters');
  return key;
}
