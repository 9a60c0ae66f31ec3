// Bundles the CLI and each Lambda handler with esbuild (what AWS recommends for cold start).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { build } from 'esbuild';

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

// --- Lean handlers (issue 15): parts of zod the handlers never use. ---
// zod's `z` namespace re-exports every locale (~40 of them, 260 KB minified) and its opt-in
// compiler and JSON-Schema importer, so no bundler can drop them. The handlers use the default
// English messages (registered by zod itself from locales/en.js) and neither extra: the
// locales index keeps `en` only, and the other two throw, naming themselves, if ever called.
const absent = (what) =>
  `() => { throw new Error(${JSON.stringify(`${what} is not bundled into the Lambda handlers`)}); }`;
const ZOD_STAND_INS = [
  [/zod[\\/]v4[\\/]locales[\\/]index\.js$/, "export { default as en } from './en.js';"],
  [
    /zod[\\/]v4[\\/]core[\\/]compile\.js$/,
    [
      "export const INVALID = Symbol.for('zod.compile.invalid');",
      "export class ZodCompileAsyncError extends Error { name = 'ZodCompileAsyncError'; }",
      "export class ZodCompileUnsupportedError extends Error { name = 'ZodCompileUnsupportedError'; }",
      `export const compile = ${absent('z.compile')};`,
      `export const compileFn = ${absent('z.compile')};`,
      `export const withParser = ${absent('z.withParser')};`,
    ].join('\n'),
  ],
  [
    /zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/,
    `export const fromJSONSchema = ${absent('z.fromJSONSchema')};`,
  ],
];
const leanZod = {
  name: 'lean-zod',
  setup(b) {
    for (const [filter, contents] of ZOD_STAND_INS)
      b.onLoad({ filter }, (args) => ({ contents, loader: 'js', resolveDir: dirname(args.path) }));
  },
};
// @elastic/transport loads npm undici (400 KB minified) for its default UndiciConnection;
// core/elasticsearch/client.ts always gives it HttpConnection (Node's http) instead, so the
// handlers get a stand-in that throws, naming itself, if an undici connection is ever made.
const noUndiciInTransport = {
  name: 'no-undici-in-elastic-transport',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      /[\\/]@elastic[\\/]transport[\\/]/.test(args.importer)
        ? { path: 'undici', namespace: 'no-undici' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-undici' }, () => ({
      loader: 'js',
      contents: [
        'module.exports = new Proxy({}, { get(_, key) {',
        "  if (typeof key !== 'string' || key === '__esModule' || key === 'then') return undefined;",
        "  throw new Error('undici is not bundled into the Lambda handlers (' + key + '): use HttpConnection');",
        '} });',
      ].join('\n'),
    }));
  },
};
// The Elasticsearch client: the handlers call `search` only (the inventory source and the
// notify step's SELinux findings import; the runner's bulk sink is not a handler). Its ~260
// other endpoint modules (260 KB) become stand-ins that throw, naming the endpoint, if called;
// an endpoint a handler starts using goes in ES_ENDPOINTS. The transport takes one function
// of @opentelemetry/core (suppressTracing), whose index would bring the semantic conventions
// (110 KB): it gets that function's own module.
const ES_ENDPOINTS = new Set(['search']);
const leanElasticsearch = {
  name: 'lean-elasticsearch',
  setup(b) {
    b.onLoad({ filter: /@elastic[\\/]elasticsearch[\\/]lib[\\/]api[\\/]api[\\/][^\\/]+\.js$/ }, (args) => {
      const endpoint = basename(args.path, '.js');
      if (ES_ENDPOINTS.has(endpoint)) return undefined;
      const message = `Elasticsearch API ${endpoint} is not bundled into the Lambda handlers (scripts/build.mjs ES_ENDPOINTS)`;
      return {
        loader: 'js',
        contents: `exports.default = function absent() { throw new Error(${JSON.stringify(message)}); };`,
      };
    });
    b.onResolve({ filter: /^@opentelemetry\/core$/ }, (args) =>
      /[\\/]@elastic[\\/]transport[\\/]/.test(args.importer)
        ? b.resolve('@opentelemetry/core/build/src/trace/suppress-tracing.js', {
            resolveDir: args.resolveDir,
            kind: args.kind,
          })
        : undefined,
    );
  },
};
// --- end of lean handlers block ---

const handlersDir = 'functions/handlers';
const withMetafile = process.argv.includes('--metafile');
if (existsSync(handlersDir)) {
  for (const file of readdirSync(handlersDir).filter((f) => f.endsWith('.ts'))) {
    const name = file.replace(/\.ts$/, '');
    // Lambda runs nodejs22.x; minified bundles load faster on cold start. The source map is
    // shipped in the zip and read by the runtime (NODE_OPTIONS=--enable-source-maps, set by
    // terraform/main.tf), so stack traces name the TypeScript sources. The map carries the
    // mappings only, not the sources' text (what stack traces need): Node parses the whole map
    // at import, and the text tripled its size.
    const result = await build({
      ...common,
      target: 'node22',
      minify: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      plugins: [noArrow, leanZod, noUndiciInTransport, leanElasticsearch],
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
