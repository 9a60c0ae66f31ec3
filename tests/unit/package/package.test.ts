// `npm run package` (scripts/package.ts) on a copy of the repository's package inputs with
// small stand-in bundles: versioned zips that unzip (Info-ZIP's unzip) to the bundle and its
// source map, the same bytes twice, a manifest whose SHA-256 and sizes are the zips', and the
// runner image context built from infra/Dockerfile's runtime stage.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseManifest } from '../../../scripts/package/manifest.ts';

const HANDLERS = ['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker'];
let repo: string;

function packageTo(out: string): ReleaseManifest {
  execFileSync(process.execPath, ['--import', 'tsx', resolve('scripts/package.ts'), '--out', out], {
    cwd: repo,
    stdio: 'pipe',
  });
  return ReleaseManifest.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'iw-package-'));
  symlinkSync(resolve('node_modules'), join(repo, 'node_modules'));
  cpSync('package.json', join(repo, 'package.json'));
  cpSync('infra', join(repo, 'infra'), { recursive: true });
  for (const name of HANDLERS) {
    mkdirSync(join(repo, 'dist', 'lambda', name), { recursive: true });
    writeFileSync(
      join(repo, 'dist', 'lambda', name, 'index.mjs'),
      `export const handler = async () => '${name}';\n`,
    );
    writeFileSync(
      join(repo, 'dist', 'lambda', name, 'index.mjs.map'),
      `{"version":3,"sources":["${name}.ts"]}`,
    );
  }
  writeFileSync(join(repo, 'dist', 'imagewarden.mjs'), 'console.log("cli")\n');
  writeFileSync(join(repo, 'dist', 'imagewarden.mjs.map'), '{"version":3}');
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('npm run package', () => {
  it('writes versioned zips with a manifest of their SHA-256 and sizes, the same bytes every time', () => {
    // Prepare
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

    // Act
    const first = packageTo(join(repo, 'out1'));
    const second = packageTo(join(repo, 'out2'));

    // Assess
    expect(first).toEqual(second);
    expect(first.version).toBe(version);
    expect(Object.keys(first.functions).sort()).toEqual(HANDLERS);
    for (const [name, fn] of Object.entries(first.functions)) {
      const zip = join(repo, 'out1', fn.zip);
      const bytes = readFileSync(zip);
      expect(fn.zip).toBe(`lambda/${name}-${version}.zip`);
      expect(fn.sha256).toBe(createHash('sha256').update(bytes).digest('base64'));
      expect(fn.bytes).toBe(statSync(zip).size);
      expect(bytes.equals(readFileSync(join(repo, 'out2', fn.zip)))).toBe(true);
      // unzip reads it: the two files, with the bundle's content
      expect(execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n')).toEqual([
        'index.mjs',
        'index.mjs.map',
      ]);
      expect(execFileSync('unzip', ['-p', zip, 'index.mjs'], { encoding: 'utf8' })).toBe(
        `export const handler = async () => '${name}';\n`,
      );
      expect(execFileSync('unzip', ['-Z', '-l', zip], { encoding: 'utf8' })).toMatch(
        /-rw-r--r--.*80-Jan-01 00:00 index\.mjs/,
      );
    }
  });

  it("builds the runner image context from infra/Dockerfile's runtime stage and the bundle", () => {
    // Act
    const manifest = packageTo(join(repo, 'out3'));
    const context = join(repo, 'out3', manifest.runnerImage.context);
    const dockerfile = readFileSync(join(context, 'Dockerfile'), 'utf8');
    const source = readFileSync('infra/Dockerfile', 'utf8');

    // Assess
    const runtimeFrom = /^FROM (\S+) AS runtime$/m.exec(source)?.[1];
    expect(runtimeFrom).toMatch(/^node:22-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(dockerfile).toContain(`FROM ${runtimeFrom} AS runtime`);
    expect(dockerfile).toContain('COPY imagewarden.mjs imagewarden.mjs.map /app/');
    expect(dockerfile).not.toContain('--from=build');
    expect(dockerfile).toContain('USER 65532:65532');
    expect(readFileSync(join(context, 'imagewarden.mjs'), 'utf8')).toBe('console.log("cli")\n');
    expect(manifest.runnerImage.tag).toBe(`imagewarden/runner:${manifest.version}`);
  });
});
