// The two halves share only core/: runner/ (the node runner) and functions/ (the scheduled
// pipeline) never import each other, so each can be built, deployed and changed alone and the
// findings they exchange have one home (core/findings). This scans every source file's imports,
// static and dynamic, and fails naming the file and the import that crosses. It also holds the
// Lambda handlers to the cycle steps (functions/cycle), which the CLI calls too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js)$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g;
  for (const match of text.matchAll(pattern)) specifiers.push(match[2] as string);
  return specifiers;
}

function crossings(from: 'runner' | 'functions', to: 'runner' | 'functions'): string[] {
  const found: string[] = [];
  for (const file of sources(from)) {
    for (const specifier of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      if (target === to || target.startsWith(`${to}/`)) found.push(`${file} imports ${specifier}`);
    }
  }
  return found;
}

describe('layout', () => {
  it('finds static, type-only, re-export and dynamic imports', () => {
    expect(
      importsOf(
        "import a from '../x.ts';\nimport type { B } from \"./b.ts\";\nexport * from './c.ts';\nconst d = await import('../d.ts');",
      ),
    ).toEqual(['../x.ts', './b.ts', './c.ts', '../d.ts']);
  });

  it('runner/ imports nothing from functions/', () => {
    expect(crossings('runner', 'functions')).toEqual([]);
  });

  it('functions/ imports nothing from runner/', () => {
    expect(crossings('functions', 'runner')).toEqual([]);
  });

  it('Lambda handlers call the cycle steps, never the inner steps they compose', () => {
    // a handler that re-composes inner steps drifts from the CLI (it did once: partial shards)
    const inner =
      /\/(buildInventory|checkPolicy|scanInventory|notify|importSelinuxFindings|policyStore|inventoryStore)\.ts$/;
    const found = readdirSync(join(ROOT, 'functions/handlers'))
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) =>
        // port types (import type) are fine: what a handler must not do is call the inner step
        [
          ...readFileSync(join(ROOT, 'functions/handlers', name), 'utf8').matchAll(
            /^import (?!type )[^;]*?from '([^']+)'/gm,
          ),
        ]
          .map((match) => match[1] as string)
          .filter((specifier) => inner.test(specifier))
          .map((specifier) => `functions/handlers/${name} imports ${specifier}`),
      );
    expect(found).toEqual([]);
  });
});
