import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import { CredentialStore } from '../../../../core/registry/credentials.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('CredentialStore', () => {
  it('reads auths.<host>.auth (base64 user:password, password may contain colons)', () => {
    const store = CredentialStore.fromDockerConfig(
      JSON.stringify({ auths: { 'registry.example:5000': { auth: b64('alice:s3:cret') } } }),
    );
    expect(store.get('registry.example:5000')).toEqual({ username: 'alice', password: 's3:cret' });
    expect(store.get('other.example')).toBeUndefined();
  });

  it('reads explicit username/password and normalises URL keys and Docker Hub aliases', () => {
    const store = CredentialStore.fromDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pw') },
          'https://Harbor.Example/': { username: 'bob', password: 'pw2' },
        },
      }),
    );
    expect(store.get('docker.io')).toEqual({ username: 'hub', password: 'pw' });
    expect(store.get('harbor.example')).toEqual({ username: 'bob', password: 'pw2' });
  });

  it('rejects broken JSON, a wrong shape and an auth without a colon with ValidationError', () => {
    expect(() => CredentialStore.fromDockerConfig('{"auths": {', 'secret/pull')).toThrow(ValidationError);
    // the parser's message quotes the text: neither the error nor its cause may carry it
    const broken = `{"auths": {"r": {"auth": ${b64('robot:hunter2')}}}}`;
    const error = (() => {
      try {
        CredentialStore.fromDockerConfig(broken);
      } catch (e) {
        return e;
      }
    })();
    const chain: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e.message);
    expect(chain.length).toBeGreaterThan(0);
    expect(chain.join(' | ')).not.toContain(b64('robot:hunter2').slice(0, 8));
    expect(() => CredentialStore.fromDockerConfig('{"auths": {"x": {"auth": 5}}}')).toThrow(/auths\.x\.auth/);
    expect(() =>
      CredentialStore.fromDockerConfig(JSON.stringify({ auths: { x: { auth: b64('nocolon') } } })),
    ).toThrow(/base64/);
  });

  it('loads a file and merges stores, later ones winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iw-creds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auths: { a: { auth: b64('one:1') }, b: { auth: b64('two:2') } } }));
    const fromFile = await CredentialStore.fromDockerConfigFile(file);
    const override = new CredentialStore([['b', { username: 'three', password: '3' }]]);
    const merged = CredentialStore.merge(fromFile, override);
    expect(merged.get('a')?.username).toBe('one');
    expect(merged.get('b')?.username).toBe('three');
    await expect(CredentialStore.fromDockerConfigFile(join(dir, 'missing.json'))).rejects.toThrow(
      ValidationError,
    );
  });
});
