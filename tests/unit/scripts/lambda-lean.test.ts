// The stand-ins scripts/lambda-lean.mjs puts into the Lambda bundles, built with esbuild as
// scripts/build.mjs builds the handlers and run in a separate process: the Elasticsearch
// client still searches (through HttpConnection, against the Elasticsearch fake) while an
// endpoint left out throws naming itself, and zod keeps English as its only locale.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build scripts, without type declarations
import { leanHandlerPlugins } from '../../../scripts/lambda-lean.mjs';
import { type ElasticsearchFake, startElasticsearchFake } from '../../support/elasticsearch-fake.ts';
import { arrayDocuments } from '../../support/fleet-generator.ts';

let dir: string;
let es: ElasticsearchFake;
let probe: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iw-lean-'));
  es = await startElasticsearchFake({
    index: 'containers',
    documents: arrayDocuments([{ '@timestamp': new Date().toISOString(), host: { name: 'node-1' } }]),
  });
  const entry = join(dir, 'probe.ts');
  writeFileSync(
    entry,
    [
      `import { z } from ${JSON.stringify(resolve('node_modules/zod/index.js'))};`,
      `import { createElasticsearchClient } from ${JSON.stringify(resolve('core/elasticsearch/client.ts'))};`,
      'const out: Record<string, unknown> = { locales: Object.keys(z.locales) };',
      `const client = createElasticsearchClient({ node: ${JSON.stringify(es.url)}, requestTimeoutMs: 5000 });`,
      "const found = await client.search({ index: 'containers', size: 1, query: { match_all: {} } });",
      'out.hits = found.hits.hits.length;',
      'try { await client.bulk({ operations: [] }); } catch (error) { out.bulk = (error as Error).message; }',
      'try { client.indices; } catch (error) { out.indices = (error as Error).message; }',
      'try { z.fromJSONSchema({}); } catch (error) { out.fromJSONSchema = (error as Error).message; }',
      'process.stdout.write(JSON.stringify(out));',
    ].join('\n'),
  );
  probe = join(dir, 'probe.mjs');
  await build({
    entryPoints: [entry],
    outfile: probe,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    plugins: leanHandlerPlugins,
    logLevel: 'silent',
  });
}, 120_000);

afterAll(async () => {
  await es?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Lambda bundles’ stand-ins (scripts/lambda-lean.mjs)', () => {
  it('keeps search working, names a left-out endpoint, and keeps English as the only zod locale', async () => {
    // Act
    // (asynchronously: the Elasticsearch fake answers from this process)
    const { stdout } = await promisify(execFile)(process.execPath, [probe]);
    const out = JSON.parse(stdout);

    // Assess
    expect(out.hits).toBe(1);
    expect(es.problems).toEqual([]);
    expect(out.bulk).toBe(
      'Elasticsearch API bulk is not bundled into the Lambda handlers (ES_ENDPOINTS in scripts/lambda-lean.mjs)',
    );
    expect(out.indices).toBe(
      'Elasticsearch API indices is not bundled into the Lambda handlers (ES_ENDPOINTS in scripts/lambda-lean.mjs)',
    );
    expect(out.locales).toEqual(['en']);
    expect(out.fromJSONSchema).toBe('z.fromJSONSchema is not bundled into the Lambda handlers');
  });
});
