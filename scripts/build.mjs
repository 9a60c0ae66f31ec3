// Bundles the CLI and each Lambda handler with esbuild (what AWS recommends for cold start).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { leanHandlerPlugins } from './lambda-lean.mjs';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  legalComments: 'none',
  // Some CommonJS dependencies call require(); give the ESM bundle one,
  // and __dirname/__filename, which ssh2 (via dockerode) reads at load time.
  banner: {
    js: [
      "import { createRequire as __cr } from 'node:module';",
      "import { fileURLToPath as __futp } from 'node:url';",
      "import { dirname as __dn } from 'node:path';",
      'const require = __cr(import.meta.url);',
      'const __filename = __futp(import.meta.url);',
      'const __dirname = __dn(__filename);',
    ].join(' '),
  },
  // Optional native accelerators of ssh2 (pulled in by dockerode) are never used here.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
};

// --lambda-only: the handler bundles alone (the Lambda bundle tests, which do not need the CLI).
if (!process.argv.includes('--lambda-only'))
  await build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/imagewarden.mjs' });

// The Elasticsearch client loads Apache Arrow (330 KB minified) at start-up for its ES|QL
// Arrow helpers, which imagewarden never calls: the handlers get a stand-in that throws,
// naming itself, if anything ever does.
const noArrow = {
  name: 'no-apache-arrow',
  setup(b) {
    b.onResolve({ filter: /^apache-arrow(\/|$)/ }, (args) => ({ path: args.path, namespace: 'no-arrow' }));
    b.onLoad({ filter: /.*/, namespace: 'no-arrow' }, () => ({
      loader: 'js',
      contents: [
        'module.exports = new Proxy({}, { get(_, key) {',
        "  if (typeof key !== 'string' || key === '__esModule' || key === 'then') return undefined;",
        "  throw new Error('apache-arrow is not bundled into the Lambda handlers (' + key + ')');",
        '} });',
      ].join('\n'),
    }));
  },
};

const handlersDir = 'functions/handlers';
const withMetafile = process.argv.includes('--metafile');
if (existsSync(handlersDir)) {
  for (const file of readdirSync(handlersDir).filter((f) => f.endsWith('.ts'))) {
    const name = file.replace(/\.ts$/, '');
    // Lambda runs nodejs22.x; minified bundles load faster on cold start. The source map is
    // shipped in the zip and read when a stack trace is first formatted
    // (functions/handlers/lib/source-maps.ts), so stack traces name the TypeScript sources.
    // The map carries the mappings only, not the sources' text, which stack traces do not need.
    const result = await build({
      ...common,
      target: 'node22',
      minify: true,
      sourcesContent: false,
      // The ESM builds of packages that ship both (the AWS SDK's dist-es): esbuild drops what is
      // not imported (the clients' unused commands), which it cannot do in CommonJS.
      mainFields: ['module', 'main'],
      plugins: [noArrow, ...leanHandlerPlugins],
      entryPoints: [`${handlersDir}/${file}`],
      outfile: `dist/lambda/${name}/index.mjs`,
      metafile: withMetafile,
    });
    // --metafile: esbuild's account of what each bundle holds, outside the zipped directory
    // (scripts/bundle-sizes.mjs reads it).
    if (withMetafile) {
      mkdirSync('dist/meta', { recursive: true });
      writeFileSync(`dist/meta/${name}.json`, JSON.stringify(result.metafile));
    }
  }
}
process.stdout.write('built dist/\n');
