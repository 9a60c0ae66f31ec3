// The Lambda handlers as deployed, for integration tests: built by scripts/build.mjs, packaged
// by `npm run package` (scripts/package.ts) and unzipped from the packaged zips, each invoked in
// its own Node process as Lambda's runtime does (index.handler called with the event and a
// context, the function's environment only). The build runs in a mirror of the repository
// (symlinks), so the shared dist/ is left alone.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../../scripts/package/manifest.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynalite.ts';

/** What Lambda and terraform/main.tf give every function, before its own variables. */
export function lambdaRuntimeEnvironment(fn: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    // Lambda runs Node 22; on this Node 20 the AWS SDK would warn, once per process, that it
    // will soon need 22
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: `imagewarden-${fn}`,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

export interface PackagedLambdas {
  manifest: ReleaseManifest;
  /** The directory holding one unzipped function per subdirectory. */
  functions: string;
  remove(): Promise<void>;
}

export async function packageLambdas(): Promise<PackagedLambdas> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-package-it-'));
  const mirror = join(dir, 'src');
  mkdirSync(join(mirror, 'dist'), { recursive: true });
  for (const entry of readdirSync('.').filter((e) => e !== 'dist' && e !== '.git'))
    symlinkSync(resolve(entry), join(mirror, entry));
  execFileSync(process.execPath, ['scripts/build.mjs', '--lambda-only'], { cwd: mirror, stdio: 'pipe' });
  // the runner image's bundle is not what these tests are about: a stand-in
  writeFileSync(join(mirror, 'dist', 'imagewarden.mjs'), '');
  writeFileSync(join(mirror, 'dist', 'imagewarden.mjs.map'), '{}');
  const pkg = join(dir, 'package');
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/package.ts', '--out', pkg], {
    cwd: mirror,
    stdio: 'pipe',
  });
  const manifest = ReleaseManifest.parse(JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8')));
  const functions = join(dir, 'functions');
  for (const [name, fn] of Object.entries(manifest.functions)) {
    mkdirSync(join(functions, name), { recursive: true });
    execFileSync('unzip', ['-q', join(pkg, fn.zip), '-d', join(functions, name)]);
  }
  return { manifest, functions, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Invocation {
  /** What the handler returned; undefined when it threw. */
  result: Record<string, unknown> | undefined;
  /** What Lambda reports for a thrown handler (errorType, errorMessage). */
  error: { errorType: string; errorMessage: string } | undefined;
  /** The EMF lines the invocation wrote. */
  metrics: Record<string, unknown>[];
  /** The other JSON log lines (pino). */
  logs: Record<string, unknown>[];
}

const run = promisify(execFile);

/**
 * Invokes a packaged handler in a fresh process with `env` as its whole environment and a
 * context whose remaining time is the function's timeout. Not spawnSync: the local services
 * (dynalite, the fakes) answer from the test's event loop.
 */
export async function invokePackaged(
  packaged: PackagedLambdas,
  fn: string,
  event: unknown,
  env: NodeJS.ProcessEnv,
  options: { timeoutSeconds?: number; requestId?: string } = {},
): Promise<Invocation> {
  const file = join(packaged.functions, fn, 'index.mjs');
  const context = {
    awsRequestId: options.requestId ?? 'req-1',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION ?? 'eu-north-1'}:123456789012:function:${env.AWS_LAMBDA_FUNCTION_NAME ?? fn}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${env.AWS_LAMBDA_FUNCTION_NAME ?? fn}`,
  };
  const remainingMs = (options.timeoutSeconds ?? 60) * 1000;
  const script = `const { handler } = await import(${JSON.stringify(file)});
const context = { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => ${remainingMs} };
try {
  const result = await handler(JSON.parse(process.argv[1]), context);
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
} catch (error) {
  process.stdout.write('ERROR ' + JSON.stringify({ errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) }) + '\\n');
}
process.exit(0);`;
  const { stdout, stderr } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(event)],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
  const lines = stdout.split('\n').filter(Boolean);
  const marked = (prefix: string) => {
    const line = lines.find((l) => l.startsWith(prefix));
    return line === undefined ? undefined : JSON.parse(line.slice(prefix.length));
  };
  const result = marked('RESULT ') as Record<string, unknown> | undefined;
  const error = marked('ERROR ') as Invocation['error'];
  if (!result && !error) throw new Error(`${fn} bundle neither returned nor threw: ${stdout}\n${stderr}`);
  // pino and EMF lines; anything else on stderr (Node's warnings) is not the function's log
  const json = [...lines, ...stderr.split('\n')].flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return {
    result,
    error,
    metrics: json.filter((l) => '_aws' in l),
    logs: json.filter((l) => !('_aws' in l)),
  };
}
