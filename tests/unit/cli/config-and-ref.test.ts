import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImagewarden } from '../../support/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imagewarden config check', () => {
  it('accepts the example config and prints effective values with secrets masked', async () => {
    const run = await runImagewarden(['config', 'check', '--config', 'examples/imagewarden.yaml', '--json']);
    expect(run.stderr).toContain('config OK (examples/imagewarden.yaml)');
    expect(run.code).toBe(0);
    const effective = JSON.parse(run.stdout);
    expect(effective.policy.maxAgeDays).toBe(30);
    expect(JSON.stringify(effective)).not.toMatch(/IMAGEWARDEN_ACK_KEY(?!\*)/);
  });

  it('rejects a bad config naming each bad key, exit 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'scan:\n  clair:\n    url: clair:6060\nnotify:\n  from: not-an-address\n  transport: fax\n',
    );
    const run = await runImagewarden(['config', 'check', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('scan.clair.url: expected an http(s) URL, got "clair:6060"');
    expect(run.stderr).toContain('notify.from: expected an email address, got "not-an-address"');
    expect(run.stderr).toMatch(/notify\.transport: .*got "fax"/);
    expect(run.stdout).toBe('');
  });

  it('leaves secrets held in IMAGEWARDEN_* variables without "__" out of the config', async () => {
    const run = await runImagewarden(['config', 'check', '--config', 'examples/imagewarden.yaml', '--json'], {
      env: { IMAGEWARDEN_ACK_KEY: 'k'.repeat(40), IMAGEWARDEN_SCAN__CONCURRENCY: '2' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).scan.concurrency).toBe(2);
    expect(run.stdout).not.toContain('k'.repeat(40));
  });

  it('applies environment variables over the file', async () => {
    const run = await runImagewarden(['config', 'check', '--json'], {
      env: { IMAGEWARDEN_POLICY__MAX_AGE_DAYS: '14' },
    });
    expect(JSON.parse(run.stdout).policy.maxAgeDays).toBe(14);
  });
});

describe('imagewarden ref', () => {
  it('prints the parsed and normalised reference', async () => {
    const run = await runImagewarden(['ref', 'nginx:1.27', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      domain: 'docker.io',
      path: 'library/nginx',
      tag: '1.27',
      digest: null,
      canonical: 'docker.io/library/nginx:1.27',
      familiar: 'nginx:1.27',
    });
  });

  it('prints the parse error with exit code 2', async () => {
    const run = await runImagewarden(['ref', 'Nginx:latest']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/image reference "Nginx:latest": .*lowercase/);
  });

  it('explains itself in --help', async () => {
    const run = await runImagewarden(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Exit status: 0 all good');
    expect(run.stdout).toMatch(/ref \[options\] <reference>/);
  });
});
