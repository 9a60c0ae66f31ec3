import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import { runImagewarden } from '../../../support/cli.ts';

describe('imagewarden inventory (file source, offline)', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-cli-inventory-'));
    config = join(dir, 'imagewarden.yaml');
    await writeFile(
      config,
      stringify({
        state: { dir: join(dir, 'state') },
        inventory: { source: 'file', file: 'examples/fleet.ndjson' },
        owners: { hosts: { 'db*.example.org': 'dba@example.org', 'api*.example.org': 'api@example.org' } },
        policy: { approvedRegistries: ['harbor.example.org'] },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the demo fleet, its policy findings and one summary line, and stores both', async () => {
    // Act
    const run = await runImagewarden(['inventory', '-c', config, '--offline']);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Inventory 2026-11-24T07:14:38.000Z .. 2026-11-24T09:14:38.000Z');
    expect(run.stdout).toMatch(
      /unapproved-registry\s+docker\.io\/library\/nginx\s+web-team@example\.org \(label\)/,
    );
    expect(run.stdout).toMatch(
      /no-owner\s+harbor\.example\.org\/library\/postgres\s+dba@example\.org \(host-owner\)/,
    );
    expect(run.stdout).toContain('owner label rejected: ghcr.io/example/log-shipper');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(
      'inventory: 9 images (9 buckets, 44 reports, 0 merged), owners 6 by label / 3 by host / 0 security contact; ' +
        'policy: 4 unapproved registry, 0 not in registry, 0 stale, 3 no owner, 9 unknown age, 5 registry unknown; failed: 0 invalid images, 0 skipped documents, 1 unresolved; ' +
        '1 document outside the window; stored',
    );
    const findings = await new FileStateStore(join(dir, 'state')).list('policy-findings');
    expect(findings).toHaveLength(7);
  });

  it('gives the same inventory with --as-of the file time, as JSON, without storing', async () => {
    // Act
    const run = await runImagewarden([
      'inventory',
      '-c',
      config,
      '--offline',
      '--json',
      '--as-of',
      '2026-11-24T09:15:00Z',
    ]);
    // Assess
    expect(run.code).toBe(0);
    // stdout is the JSON document alone; the summary line goes to stderr
    const json = JSON.parse(run.stdout) as {
      snapshot: { items: unknown[]; window: unknown };
      policy: { findings: unknown[] };
    };
    expect(json.snapshot.items).toHaveLength(9);
    expect(json.snapshot.window).toEqual({
      from: '2026-11-24T07:15:00.000Z',
      to: '2026-11-24T09:15:00.000Z',
    });
    expect(json.policy.findings).toHaveLength(7);
    expect(run.stderr).toMatch(/; not stored\n$/);
  });

  it('exits 1 and lists the bad documents and image strings when some are broken', async () => {
    // Prepare
    const file = join(dir, 'broken.ndjson');
    const doc = (image: unknown) =>
      JSON.stringify({
        '@timestamp': '2026-11-24T09:00:00Z',
        host: { name: 'h1' },
        container: { id: 'c', image: { name: image } },
      });
    await writeFile(
      file,
      [doc('harbor.example.org/a:1'), doc('Not Valid:1'), '{oops', doc(['x', 'y'])].join('\n'),
    );
    // Act
    const run = await runImagewarden([
      'inventory',
      '-c',
      config,
      '--offline',
      '--no-store',
      '--source',
      `file:${file}`,
    ]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('note: invalid image: Not Valid:1');
    expect(run.stdout).toContain('note: skipped document: line 3: not valid JSON');
    expect(run.stdout).toContain('note: skipped document: line 4: container.image.name is an array');
    expect(run.stdout).toMatch(
      /failed: 1 invalid images, 2 skipped documents, 1 unresolved; 0 documents outside the window; not stored\n$/,
    );
  });

  it('exits 2 on a bad --as-of or --source', async () => {
    // Act
    const badTime = await runImagewarden(['inventory', '-c', config, '--as-of', 'yesterday']);
    const badSource = await runImagewarden(['inventory', '-c', config, '--source', 'mysql']);
    // Assess
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('--as-of: expected an ISO time');
    expect(badSource.code).toBe(2);
    expect(badSource.stderr).toContain('--source: expected es or file:PATH, got "mysql"');
  });
});
