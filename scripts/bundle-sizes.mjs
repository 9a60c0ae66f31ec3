// Per-package bytes in each Lambda bundle, from the metafiles `node scripts/build.mjs
// --lambda-only --metafile` writes to dist/meta/: what to look at when a bundle grows.
// `node scripts/bundle-sizes.mjs [MIN_KB]` lists packages of at least MIN_KB (default 10).
import { readdirSync, readFileSync } from 'node:fs';

const minKb = Number(process.argv[2] ?? 10);
/** node_modules/@scope/name/... -> @scope/name; our own sources -> their top folder. */
function owner(input) {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return `(ours) ${parts[0]}`;
  const name = parts[at + 1] ?? '?';
  return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
}

for (const file of readdirSync('dist/meta')
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const meta = JSON.parse(readFileSync(`dist/meta/${file}`, 'utf8'));
  const [outfile, output] = Object.entries(meta.outputs).find(([name]) => name.endsWith('.mjs'));
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
    byPackage.set(owner(input), (byPackage.get(owner(input)) ?? 0) + bytesInOutput);
  const rows = [...byPackage].filter(([, bytes]) => bytes >= minKb * 1024).sort((a, b) => b[1] - a[1]);
  process.stdout.write(`${outfile}: ${(output.bytes / 1024 / 1024).toFixed(2)} MB\n`);
  for (const [name, bytes] of rows)
    process.stdout.write(`  ${(bytes / 1024).toFixed(0).padStart(5)} K  ${name}\n`);
}
