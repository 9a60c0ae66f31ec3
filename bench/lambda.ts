// `npm run bench -- lambda`: per Lambda handler, the bundle's size and its cold import time
// (median wall time of 5 fresh `node` processes importing it, with --enable-source-maps as
// Lambda runs it), beside a bare `node -e 0` and beside the same handler imported from its
// TypeScript source (through tsx). Budgets (issue 15): every bundle under 1.5 MB and under
// 300 ms above bare; the ack bundle (a link people click) under 100 ms above bare.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emit, line, median } from './lib.ts';

const HANDLERS = ['ack', 'clair-webhook', 'inventory', 'notify', 'scan-worker'] as const;
const RUNS = 5;
const MAX_BYTES = 1.5 * 1024 * 1024;
const MAX_ABOVE_BARE_MS = 300;
const ACK_MAX_ABOVE_BARE_MS = 100;

function wallMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

const medianOf = (args: string[]) => median(Array.from({ length: RUNS }, () => wallMs(args)));
const importing = (url: string) => `await import(${JSON.stringify(url)});`;

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');

const bareMs = medianOf(['-e', '0']);
line('bare node -e 0 (median of 5)', `${bareMs.toFixed(1)} ms`);
const bundles: Record<string, { bytes: number; initMs: number; aboveBareMs: number; sourceMs: number }> = {};
const overBudget: string[] = [];
for (const name of HANDLERS) {
  const bundle = resolve(join('dist', 'lambda', name, 'index.mjs'));
  const bytes = statSync(bundle).size;
  const initMs = medianOf([
    '--enable-source-maps',
    '--input-type=module',
    '-e',
    importing(pathToFileURL(bundle).href),
  ]);
  const sourceMs = medianOf([
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    importing(pathToFileURL(resolve('functions', 'handlers', `${name}.ts`)).href),
  ]);
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
