// The Lambda artifacts: each handler bundled as scripts/build.mjs bundles it (esbuild, ESM,
// one file) must load in a bare Node process without any configuration (config is read on
// the first invocation, not at import) and export `handler`, the name terraform sets.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HANDLERS = 'functions/handlers';
let out: string;
let names: string[];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'iw-lambda-'));
  names = (await readdir(HANDLERS)).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  for (const name of names) {
    // the options of scripts/build.mjs
    await build({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      legalComments: 'none',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
      entryPoints: [join(HANDLERS, `${name}.ts`)],
      outfile: join(out, name, 'index.mjs'),
      logLevel: 'silent',
    });
  }
}, 120_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
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
