// `npm run bench` runs every benchmark in bench/ (each its own process, one after another;
// lib*.ts files are code the benchmarks share);
// `npm run bench -- <name> [...]` runs the named ones. Each prints readable lines and ends
// with exactly one JSON line `{"bench": "<name>", ...figures}`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib')) // lib*.ts: shared code
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n== bench ${name} ==`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${name} failed with status ${result.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
