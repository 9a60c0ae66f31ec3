// The Lambda artifacts: each handler bundled as scripts/build.mjs bundles it (esbuild, ESM,
// one file) must load in a bare Node process without any configuration (config is read on
// the first invocation, not at import) and export `handler`, the name terraform sets.
import { execFileSync } from 'node:child_process';
import { readdirSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HANDLERS = 'functions/handlers';
let dir: string;
let out: string;
let names: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-lambda-'));
  names = (await readdir(HANDLERS)).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  // Run scripts/build.mjs itself (the artifacts terraform deploys) in a mirror of the
  // repository (symlinks), so the shared dist/ is left alone.
  const mirror = join(dir, 'src');
  await mkdir(mirror);
  for (const entry of readdirSync('.').filter((e) => e !== 'dist' && e !== '.git'))
    symlinkSync(resolve(entry), join(mirror, entry));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: mirror, timeout: 120_000, stdio: 'pipe' });
  out = join(mirror, 'dist', 'lambda');
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('loads every handler bundle with an empty environment and finds `handler`', async () => {
    for (const name of names) {
      // Prepare
      const file = join(out, name, 'index.mjs');
      const script = `import(${JSON.stringify(file)}).then((m) => process.stdout.write(typeof m.handler))`;

      // Act: a separate process, as Lambda's runtime imports index.mjs
      const kind = execFileSync(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH ?? '' },
      }).toString();

      // Assess
      expect(kind, name).toBe('function');
      expect((await stat(file)).size, name).toBeLessThan(8 * 1024 * 1024);
    }
    expect(names.sort()).toEqual(['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker']);
  });
});
