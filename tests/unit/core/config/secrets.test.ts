import { describe, expect, it } from 'vitest';
import { maskSecrets, resolveSecret } from '../../../../core/config/secrets.ts';
import { ConfigError } from '../../../../core/errors.ts';

describe('resolveSecret', () => {
  it('reads env:, file: and Secrets Manager references', async () => {
    expect(await resolveSecret('env:TOKEN', { env: { TOKEN: 's3cret' } })).toBe('s3cret');
    expect(await resolveSecret('file:/run/key', { readFile: async () => 'from-file\n' })).toBe('from-file');
    const arn = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:imagewarden-abc';
    expect(await resolveSecret(arn, { secretsManager: async (a) => (a === arn ? 'plain' : 'x') })).toBe(
      'plain',
    );
    expect(await resolveSecret(`${arn}#psk`, { secretsManager: async () => '{"psk":"k1"}' })).toBe('k1');
  });

  it('fails naming the reference, never the value', async () => {
    await expect(resolveSecret('env:MISSING', { env: {} })).rejects.toThrow(
      /env:MISSING: environment variable MISSING is not set/,
    );
    await expect(
      resolveSecret('file:/nope', { readFile: async () => Promise.reject(new Error('ENOENT')) }),
    ).rejects.toThrow(ConfigError);
    const arn = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:x';
    await expect(
      resolveSecret(`${arn}#missing`, { secretsManager: async () => '{"other":"v"}' }),
    ).rejects.toThrow(/key missing missing/);
    await expect(resolveSecret('hunter2')).rejects.toThrow(/not a secret reference/);
    await expect(resolveSecret('hunter2')).rejects.not.toThrow(/hunter2/);
  });

  it.each([
    ['a plain secret read with #key', 'hunter2-plain'],
    ['a broken JSON secret', '{"psk": hunter2-json}'],
  ])('never puts the secret into the error (or its cause) for %s', async (_what, secret) => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:x';
    // Act
    const error = await resolveSecret(`${arn}#psk`, { secretsManager: async () => secret }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const chain: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e.message);
    expect(chain.join(' | ')).not.toMatch(/hunter2/);
    expect(chain[0]).toMatch(/#psk/);
  });
});

describe('maskSecrets', () => {
  it('masks values of secret-named keys and keeps the rest', () => {
    expect(
      maskSecrets({ smtp: { host: 'mail', password: 'env:SMTP_PASS' }, scan: { clair: { psk: 'file:/k' } } }),
    ).toEqual({
      smtp: { host: 'mail', password: 'env:***' },
      scan: { clair: { psk: 'file:***' } },
    });
  });

  it('masks credentials written into a URL (user:password@host), wherever the key', () => {
    expect(
      maskSecrets({
        inventory: { node: 'https://elastic:hunter2@es.example.org:9200' },
        scan: { clair: { url: 'http://clair:8080' } },
      }),
    ).toEqual({
      inventory: { node: 'https://[redacted]@es.example.org:9200' },
      scan: { clair: { url: 'http://clair:8080' } },
    });
  });
});
