// What the Lambda handler bundles leave out of their dependencies (issue 15: each bundle holds
// only what its handler uses), as esbuild plugins for scripts/build.mjs. Each stand-in throws,
// naming itself, if the code it replaces is ever reached.
import { basename, dirname } from 'node:path';

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
export const leanZod = {
  name: 'lean-zod',
  setup(b) {
    for (const [filter, contents] of ZOD_STAND_INS)
      b.onLoad({ filter }, (args) => ({ contents, loader: 'js', resolveDir: dirname(args.path) }));
  },
};
// @elastic/transport loads npm undici (400 KB minified) for its default UndiciConnection;
// core/elasticsearch/client.ts always gives it HttpConnection (Node's http) instead, so the
// handlers get a stand-in that throws, naming itself, if an undici connection is ever made.
export const noUndiciInTransport = {
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
export const ES_ENDPOINTS = new Set(['search']);
export const leanElasticsearch = {
  name: 'lean-elasticsearch',
  setup(b) {
    b.onLoad({ filter: /@elastic[\\/]elasticsearch[\\/]lib[\\/]api[\\/]api[\\/][^\\/]+\.js$/ }, (args) => {
      const endpoint = basename(args.path, '.js');
      if (ES_ENDPOINTS.has(endpoint)) return undefined;
      const message = `Elasticsearch API ${endpoint} is not bundled into the Lambda handlers (ES_ENDPOINTS in scripts/lambda-lean.mjs)`;
      return {
        loader: 'js',
        // an ES module as TypeScript compiles one, as tslib's __importDefault expects
        contents: [
          "Object.defineProperty(exports, '__esModule', { value: true });",
          `exports.default = function absent() { throw new Error(${JSON.stringify(message)}); };`,
        ].join('\n'),
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

export const leanHandlerPlugins = [leanZod, noUndiciInTransport, leanElasticsearch];
