#!/usr/bin/env node
// Installed entry point: runs the bundle built by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/imagewarden.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('imagewarden: dist/imagewarden.mjs is missing; run `npm run build` first\n');
  process.exit(2);
}
await import(bundle);
