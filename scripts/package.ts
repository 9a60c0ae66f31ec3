// `npm run package [-- --out DIR]`: the release artifacts, built once and deployed anywhere
// (the Terraform module never zips or hashes code at plan time):
//   DIR/lambda/<function>-<version>.zip   one deterministic zip per handler bundle
//   DIR/runner-image/                     the runner image's build context (Dockerfile + bundle)
//   DIR/manifest.json                     version, per function zip, SHA-256 (base64) and size
// DIR defaults to dist/package. Run after `npm run build` (`npm run package` does both).
// Publish by copying DIR as is (`aws s3 sync DIR s3://bucket/prefix/`) or point the module's
// package_dir at it.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, type PackagedFunction, ReleaseManifest } from './package/manifest.ts';
import { zip } from './package/zip.ts';

const outFlag = process.argv.indexOf('--out');
const out = outFlag >= 0 ? (process.argv[outFlag + 1] ?? '') : join('dist', 'package');
const lambdaDist = join('dist', 'lambda');
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

if (!existsSync(lambdaDist)) throw new Error(`${lambdaDist} is missing: run npm run build first`);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lambda'), { recursive: true });

const functions: Record<string, PackagedFunction> = {};
for (const name of readdirSync(lambdaDist).sort()) {
  const dir = join(lambdaDist, name);
  // The bundle and its source map (read when a stack trace is formatted: functions/handlers/lib/source-maps.ts).
  const files = readdirSync(dir)
    .filter((f) => f === 'index.mjs' || f === 'index.mjs.map')
    .sort();
  if (!files.includes('index.mjs')) throw new Error(`${dir}/index.mjs is missing: run npm run build first`);
  const bytes = zip(files.map((f) => ({ name: f, data: readFileSync(join(dir, f)) })));
  const file = `lambda/${name}-${version}.zip`;
  writeFileSync(join(out, file), bytes);
  functions[name] = {
    zip: file,
    sha256: createHash('sha256').update(bytes).digest('base64'),
    bytes: bytes.length,
  };
}

// The runner image's context: the runtime stage of infra/Dockerfile, copying the bundle from
// the context instead of from the build stage.
const dockerfile = readFileSync(join('infra', 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.search(/^FROM \S+ AS runtime$/m));
const copyFromBuild =
  /^COPY --from=build \/src\/dist\/imagewarden\.mjs \/src\/dist\/imagewarden\.mjs\.map \/app\/$/m;
if (!runtimeStage.startsWith('FROM') || !copyFromBuild.test(runtimeStage))
  throw new Error(
    'infra/Dockerfile: no runtime stage copying /src/dist/imagewarden.mjs(.map) from the build stage',
  );
const context = join(out, 'runner-image');
mkdirSync(context);
writeFileSync(
  join(context, 'Dockerfile'),
  [
    '# syntax=docker/dockerfile:1',
    `# imagewarden runner ${version}: written by npm run package from infra/Dockerfile's runtime stage.`,
    `# docker build -t imagewarden/runner:${version} .`,
    '',
    runtimeStage.replace(copyFromBuild, 'COPY imagewarden.mjs imagewarden.mjs.map /app/'),
  ].join('\n'),
);
for (const f of ['imagewarden.mjs', 'imagewarden.mjs.map']) {
  if (!existsSync(join('dist', f))) throw new Error(`dist/${f} is missing: run npm run build first`);
  copyFileSync(join('dist', f), join(context, f));
}

const manifest = ReleaseManifest.parse({
  name: 'imagewarden',
  version,
  node: '22',
  functions,
  runnerImage: { context: 'runner-image', tag: `imagewarden/runner:${version}` },
});
writeFileSync(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(
  `${out}: imagewarden ${version}, ${Object.entries(functions)
    .map(([n, f]) => `${n} ${f.bytes} B`)
    .join(', ')}, runner image context\n`,
);
