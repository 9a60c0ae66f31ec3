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

// The AWS SDK clients' default credential chain (@aws-sdk/credential-provider-node) brings
// the SSO, INI-profile, process, web-identity and login providers and the STS, SSO and
// sign-in clients they call (about 140 KB minified, a fifth of the ack bundle, parsed at
// every cold start). A Lambda function's credentials are always its execution role's, in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), or at the
// container credentials endpoint where a Lambda runtime serves them so: the handlers keep
// those two links of the chain and fail naming both if neither is there.
const LAMBDA_CREDENTIALS = [
  "import { fromEnv } from '@aws-sdk/credential-provider-env';",
  "import { fromHttp } from '@aws-sdk/credential-provider-http';",
  'export const defaultProvider = (init = {}) => async (props) => {',
  '  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)(props);',
  '  if (process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI || process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)',
  '    return fromHttp(init)(props);',
  '  throw new Error(',
  "    'no AWS credentials: the Lambda handlers read them from the environment (AWS_ACCESS_KEY_ID, ' +",
  "      'AWS_SECRET_ACCESS_KEY) or the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI), ' +",
  "      'as the Lambda runtime provides them',",
  '  );',
  '};',
].join('\n');
export const lambdaCredentials = {
  name: 'lambda-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, async (args) => {
      if (args.pluginData?.realPath) return undefined;
      const real = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: { realPath: true },
      });
      return { path: real.path, namespace: 'lambda-credentials' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lambda-credentials' }, (args) => ({
      loader: 'js',
      contents: LAMBDA_CREDENTIALS,
      resolveDir: dirname(args.path),
    }));
  },
};
// pino loads thread-stream (its worker-thread transports) at start-up; the handlers log to
// stdout through pino's own destination and never start a transport.
export const noPinoTransports = {
  name: 'no-pino-transports',
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, (args) =>
      /[\\/]pino[\\/]/.test(args.importer)
        ? { path: 'thread-stream', namespace: 'no-thread-stream' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-thread-stream' }, () => ({
      loader: 'js',
      contents: `module.exports = ${absent('pino transports (thread-stream)')};`,
    }));
  },
};

export const leanHandlerPlugins = [
  leanZod,
  noUndiciInTransport,
  leanElasticsearch,
  lambdaCredentials,
  noPinoTransports,
];
