// `npm run bench -- lambda`: per Lambda handler, the bundle's size and its cold import time
// (median wall time of 11 fresh `node` processes importing it as Lambda runs it: no flags, the
// source map read only when a stack trace is formatted), beside a bare `node -e 0` (11 runs,
// interleaved with the imports) and beside the same handler imported from its TypeScript
// source (through tsx). Budgets (issue 15): every bundle under 1.5 MB and under
// 300 ms above bare; the ack bundle (a link people click) under 100 ms above bare.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emit, line, median } from './lib.ts';

const HANDLERS = ['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker'] as const;
/** Rounds of one bare run and one import of each bundle; imports from source, fewer (slow). */
const ROUNDS = 11;
const SOURCE_RUNS = 3;
const MAX_BYTES = 1.5 * 1024 * 1024;
const MAX_ABOVE_BARE_MS = 300;
const ACK_MAX_ABOVE_BARE_MS = 100;

function wallMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    // the AWS SDK warns once on Node 20 (this machine) that it will need 22 (what Lambda runs)
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

const importing = (url: string) => `await import(${JSON.stringify(url)});`;

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');

// Bare runs and bundle imports interleaved, round by round, so a machine that slows down or
// speeds up mid-run (a shared VM does) moves the baseline with the figures it is compared to.
const bundleFiles = Object.fromEntries(
  HANDLERS.map((name) => [name, resolve(join('dist', 'lambda', name, 'index.mjs'))]),
) as Record<(typeof HANDLERS)[number], string>;
const bareRuns: number[] = [];
const importRuns = Object.fromEntries(HANDLERS.map((name) => [name, [] as number[]])) as Record<
  (typeof HANDLERS)[number],
  number[]
>;
for (let round = 0; round < ROUNDS; round += 1) {
  bareRuns.push(wallMs(['-e', '0']));
  for (const name of HANDLERS)
    importRuns[name].push(
      wallMs(['--input-type=module', '-e', importing(pathToFileURL(bundleFiles[name]).href)]),
    );
}
const bareMs = median(bareRuns);
line(`bare node -e 0 (median of ${ROUNDS})`, `${bareMs.toFixed(1)} ms`);
const bundles: Record<string, { bytes: number; initMs: number; aboveBareMs: number; sourceMs: number }> = {};
const overBudget: string[] = [];
for (const name of HANDLERS) {
  const bytes = statSync(bundleFiles[name]).size;
  const initMs = median(importRuns[name]);
  const sourceMs = median(
    Array.from({ length: SOURCE_RUNS }, () =>
      wallMs([
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        importing(pathToFileURL(resolve('functions', 'handlers', `${name}.ts`)).href),
      ]),
    ),
  );
  const aboveBareMs = initMs - bareMs;
  bundles[name] = {
    bytes,
    initMs: Math.round(initMs * 10) / 10,
    aboveBareMs: Math.round(aboveBareMs * 10) / 10,
    sourceMs: Math.round(sourceMs * 10) / 10,
  };
  const limit = name === 'ack' ? ACK_MAX_ABOVE_BARE_MS : MAX_ABOVE_BARE_MS;
  if (bytes >= MAX_BYTES) overBudget.push(`${name}: ${bytes} B >= 1.5 MB`);
  if (aboveBareMs >= limit)
    overBudget.push(`${name}: ${aboveBareMs.toFixed(0)} ms above bare >= ${limit} ms`);
  line(
    `${name}: bundle, import`,
    `${(bytes / 1024 / 1024).toFixed(2)} MB, ${initMs.toFixed(0)} ms (${aboveBareMs.toFixed(0)} above bare; from source ${sourceMs.toFixed(0)} ms, x${(sourceMs / initMs).toFixed(1)})`,
  );
}
line('over budget', overBudget.length === 0 ? 'none' : overBudget.join('; '));
emit('lambda', { bareMs: Math.round(bareMs * 10) / 10, bundles, overBudget });
