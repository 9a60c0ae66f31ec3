import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config/load.ts';
import { ConfigError } from '../../../../core/errors.ts';
import { clairPsk, requireClair, scanOptionsFromConfig } from '../../../../functions/scan/fromConfig.ts';

const config = (scan: Record<string, unknown>) => loadConfig({ overrides: { scan } }).config;

describe('scan config', () => {
  it('decodes the base64 PSK from its secret reference', async () => {
    // Prepare
    const c = config({ clair: { url: 'http://clair:6060', psk: 'env:CLAIR_PSK' } });
    // Act
    const key = await clairPsk(c, { env: { CLAIR_PSK: Buffer.from('secret-key').toString('base64') } });
    // Assess
    expect(Buffer.from(key ?? []).toString()).toBe('secret-key');
  });

  it('refuses a PSK that is not base64, without showing it', async () => {
    const c = config({ clair: { url: 'http://clair:6060', psk: 'env:CLAIR_PSK' } });
    const error = await clairPsk(c, { env: { CLAIR_PSK: 'not base64 !!' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/scan\.clair\.psk/);
    expect(String(error)).not.toMatch(/not base64 !!/);
  });

  it('names the missing key when Clair is not configured', () => {
    expect(() => requireClair(config({}))).toThrow(/scan\.clair\.url is not set/);
  });

  it('names a bad Clair URL', () => {
    expect(() => config({ clair: { url: 'clair:6060' } })).toThrow(
      /scan\.clair\.url.*expected an http\(s\) URL/,
    );
  });

  it('turns durations and counts into driver options', () => {
    expect(scanOptionsFromConfig(config({ notReadyDelay: '1m', concurrency: 6 }))).toEqual({
      concurrency: 6,
      throttleRetries: 8,
      notReadyRetries: 2,
      notReadyDelayMs: 60_000,
    });
  });
});
