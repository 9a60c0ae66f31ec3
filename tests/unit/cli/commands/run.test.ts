import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCycle } from '../../../../cli/commands/run.ts';
import { parseConfig } from '../../../../core/config/load.ts';
import { runImagewarden } from '../../../support/cli.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-run-'));
  env = { IMAGEWARDEN_STATE__DIR: join(dir, 'state'), IMAGEWARDEN_NOTIFY__OUTBOX_DIR: join(dir, 'outbox') };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imagewarden run (the local cycle on embedded defaults)', () => {
  it('builds the inventory from the demo fleet, skips the unconfigured scan and writes one digest per recipient', async () => {
    const run = await runImagewarden(['run', '--offline'], { env });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^inventory: 9 images/m);
    expect(run.stdout).toContain('scan: skipped: neither scan.clair.url nor scan.reports.dir is set');
    expect(run.stdout).toMatch(/^run: inventory ok, scan skipped, notify ok; exit 0$/m);
    const mail = await readdir(join(dir, 'outbox'));
    expect(mail).toHaveLength(1);
    const eml = await readFile(join(dir, 'outbox', mail[0] as string), 'utf8');
    expect(eml).toContain('To: security@example.org');
    expect(eml).toMatch(/Subject: \[imagewarden\] 3 new policy issues in 3 images/);
  });

  it('sends nothing on an unchanged second run', async () => {
    await runImagewarden(['run', '--offline'], { env });
    const second = await runImagewarden(['run', '--offline'], { env });

    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/notify: .*0 messages composed.*sent 0/);
    expect(await readdir(join(dir, 'outbox'))).toHaveLength(1);
  });

  it('stops at a bad config with exit 2 and runs no step', async () => {
    const run = await runImagewarden(['run'], {
      env: { ...env, IMAGEWARDEN_SCAN__CLAIR__URL: 'clair:6060' },
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('scan.clair.url: expected an http(s) URL, got "clair:6060"');
    expect(run.stdout).toBe('');
  });
});

describe('planCycle', () => {
  it('runs scan only with a Clair URL and passes the config file to every step', () => {
    const withClair = parseConfig({ scan: { clair: { url: 'http://clair:6060' } } });
    const steps = planCycle(withClair, { config: 'c.yaml', dryRun: true });
    expect(steps.map((s) => [s.name, s.skip, s.argv])).toEqual([
      ['inventory', undefined, ['inventory', '--config', 'c.yaml']],
      ['scan', undefined, ['scan', '--config', 'c.yaml']],
      ['notify', undefined, ['notify', '--config', 'c.yaml', '--dry-run']],
    ]);
    expect(planCycle(parseConfig({}), {})[1]?.skip).toMatch(
      /neither scan\.clair\.url nor scan\.reports\.dir/,
    );
  });

  it('runs scan with a reports directory instead of Clair, and refuses both at once naming the key', () => {
    expect(planCycle(parseConfig({ scan: { reports: { dir: 'reports' } } }), {})[1]?.skip).toBeUndefined();
    expect(() =>
      parseConfig({ scan: { clair: { url: 'http://clair:6060' }, reports: { dir: 'reports' } } }),
    ).toThrow(/scan\.reports\.dir: set scan\.clair\.url or scan\.reports\.dir, not both/);
  });
});
