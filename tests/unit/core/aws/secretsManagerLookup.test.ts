import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  createSecretsManagerLookup,
  DEFAULT_SECRET_TTL_MS,
  type SecretsManagerSender,
  secretArnRegion,
} from '../../../../core/aws/secretsManagerLookup.ts';
import { ManualClock } from '../../../../core/clock.ts';
import { resolveSecret } from '../../../../core/config/secrets.ts';
import { AuthError, ConfigError, NotFoundError, UpstreamError } from '../../../../core/errors.ts';

const ARN = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:imagewarden/clair-psk-AbCdEf';

/** A Secrets Manager fake: values by ARN, a call log, and SDK-shaped failures to throw next. */
function fakeSecretsManager(values: Record<string, string | Uint8Array | undefined>) {
  const calls: string[] = [];
  const failNext: Array<{ name: string; status: number }> = [];
  const client: SecretsManagerSender = {
    send: (async (command: GetSecretValueCommand) => {
      if (!(command instanceof GetSecretValueCommand)) throw new Error('unexpected command');
      const id = command.input.SecretId as string;
      calls.push(id);
      const failure = failNext.shift();
      await Promise.resolve();
      if (failure) {
        throw Object.assign(new Error(failure.name), {
          name: failure.name,
          $metadata: { httpStatusCode: failure.status },
        });
      }
      if (!Object.hasOwn(values, id)) {
        throw Object.assign(new Error('not found'), {
          name: 'ResourceNotFoundException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      const value = values[id];
      if (value instanceof Uint8Array) return { ARN: id, SecretBinary: value };
      return value === undefined ? { ARN: id } : { ARN: id, SecretString: value };
    }) as SecretsManagerSender['send'],
  };
  return { client, calls, failNext };
}

describe('createSecretsManagerLookup', () => {
  it('feeds resolveSecret, including a #jsonKey of a JSON secret', async () => {
    // Prepare
    const { client } = fakeSecretsManager({ [ARN]: '{"psk":"c2VjcmV0","other":"x"}' });
    const lookup = createSecretsManagerLookup({ client });

    // Act
    const whole = await resolveSecret(ARN, { secretsManager: lookup });
    const key = await resolveSecret(`${ARN}#psk`, { secretsManager: lookup });

    // Assess
    expect(whole).toBe('{"psk":"c2VjcmV0","other":"x"}');
    expect(key).toBe('c2VjcmV0');
  });

  it('asks once per TTL, shares one request between concurrent lookups, and refreshes after the TTL', async () => {
    // Prepare
    const values: Record<string, string> = { [ARN]: 'v1' };
    const { client, calls } = fakeSecretsManager(values);
    const clock = new ManualClock();
    const lookup = createSecretsManagerLookup({ client, clock });

    // Act
    const concurrent = await Promise.all([lookup(ARN), lookup(ARN), lookup(ARN)]);
    clock.advance(DEFAULT_SECRET_TTL_MS - 1);
    const warm = await lookup(ARN);
    values[ARN] = 'v2 (rotated)';
    clock.advance(2);
    const refreshed = await lookup(ARN);

    // Assess
    expect(concurrent).toEqual(['v1', 'v1', 'v1']);
    expect(warm).toBe('v1');
    expect(refreshed).toBe('v2 (rotated)');
    expect(calls).toHaveLength(2);
  });

  it('does not cache failures', async () => {
    // Prepare
    const { client, calls, failNext } = fakeSecretsManager({ [ARN]: 'value' });
    failNext.push({ name: 'ThrottlingException', status: 400 });
    const lookup = createSecretsManagerLookup({ client });

    // Act
    const first = lookup(ARN);
    await expect(first).rejects.toThrow(UpstreamError);
    const second = await lookup(ARN);

    // Assess
    expect(second).toBe('value');
    expect(calls).toHaveLength(2);
  });

  it('names the ARN in typed errors: missing, denied, no value set yet', async () => {
    // Prepare
    const empty = `${ARN.slice(0, -6)}Empty1`;
    const { client, failNext } = fakeSecretsManager({ [empty]: undefined });
    const lookup = createSecretsManagerLookup({ client });

    // Act
    const missing = lookup(`${ARN}x`);
    failNext.push({ name: 'AccessDeniedException', status: 400 });
    const denied = lookup(ARN);
    const noValue = lookup(empty);

    // Assess
    await expect(missing).rejects.toThrow(NotFoundError);
    await expect(missing).rejects.toThrow(/imagewarden\/clair-psk-AbCdEfx does not exist/);
    await expect(denied).rejects.toThrow(AuthError);
    await expect(noValue).rejects.toThrow(/has no value yet/);
    await expect(
      resolveSecret(ARN, { secretsManager: createSecretsManagerLookup({ client }) }),
    ).rejects.toThrow(ConfigError);
  });

  it('decodes binary secrets as UTF-8', async () => {
    // Prepare
    const { client } = fakeSecretsManager({ [ARN]: new TextEncoder().encode('binary-psk') });

    // Act
    const value = await createSecretsManagerLookup({ client })(ARN);

    // Assess
    expect(value).toBe('binary-psk');
  });
});

describe('createSecretsManagerLookup across regions', () => {
  it('asks the client of the region named in the ARN', async () => {
    // Prepare
    const other = ARN.replace('eu-north-1', 'us-east-1');
    const regions: Array<string | undefined> = [];
    const { client } = fakeSecretsManager({ [ARN]: 'north', [other]: 'east' });
    const lookup = createSecretsManagerLookup({
      client: (region) => {
        regions.push(region);
        return client;
      },
    });

    // Act
    const values = [await lookup(ARN), await lookup(other)];

    // Assess
    expect(values).toEqual(['north', 'east']);
    expect(regions).toEqual(['eu-north-1', 'us-east-1']);
  });
});

describe('secretArnRegion', () => {
  it('reads the region of a Secrets Manager ARN', () => {
    expect(secretArnRegion(ARN)).toBe('eu-north-1');
    expect(secretArnRegion('env:X')).toBeUndefined();
  });
});
