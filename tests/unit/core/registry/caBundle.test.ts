import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config/load.ts';
import { ConfigError, ValidationError } from '../../../../core/errors.ts';
import { readCaBundle } from '../../../../core/registry/caBundle.ts';
import { makeTestCa } from '../../../support/test-ca.ts';

let dir: string;
let pem: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-ca-'));
  pem = readFileSync(makeTestCa(dir).caFile, 'utf8');
  return () => rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('readCaBundle', () => {
  it('returns every certificate of a bundle, ignoring text around them', () => {
    const path = file('bundle.pem', `# corporate CAs\n${pem}\nsome comment\n${pem}`);
    expect(readCaBundle(path)).toHaveLength(2);
  });

  it('names the file when it is missing, holds no certificate, or a certificate does not parse', () => {
    expect(() => readCaBundle(join(dir, 'absent.pem'))).toThrow(
      new ValidationError(join(dir, 'absent.pem'), 'cannot be read (ENOENT)'),
    );
    const key = file('key-only.pem', readFileSync(join(dir, 'ca-key.pem'), 'utf8'));
    expect(() => readCaBundle(key)).toThrow(/key-only\.pem: holds no PEM certificate/);
    const broken = file(
      'broken.pem',
      `${pem}\n-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n`,
    );
    expect(() => readCaBundle(broken)).toThrow(/broken\.pem: certificate 2 does not parse/);
  });
});

describe('registry.caFile at config load', () => {
  it('is accepted when the bundle parses', () => {
    const path = file('ok.pem', pem);
    expect(loadConfig({ env: {}, overrides: { registry: { caFile: path } } }).config.registry.caFile).toBe(
      path,
    );
  });

  it('fails the load with the key and the file named', () => {
    const load = () => loadConfig({ env: {}, overrides: { registry: { caFile: join(dir, 'nope.pem') } } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`registry.caFile: ${join(dir, 'nope.pem')}: cannot be read (ENOENT)`);
  });
});
