// `imagewarden findings list`, run in-process against a file state store holding findings of
// every kind, as a user would: the table, --json as pure JSON, the filters, and the errors
// for bad filter values.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingRow } from '../../../../cli/commands/findings.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import { runImagewarden } from '../../../support/cli.ts';
import { policy, selinux, storeFindings, vuln } from '../../functions/notify/fixtures.ts';

let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-cli-findings-'));
  config = join(dir, 'imagewarden.yaml');
  await writeFile(config, `state:\n  dir: ${dir}/state\nowners:\n  securityContact: sec@example.org\n`);
  const store = new FileStateStore(join(dir, 'state'));
  await storeFindings(store, [
    vuln({
      severity: 'Critical',
      vulnerability: 'CVE-2023-45853',
      package: { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
      fixedIn: undefined,
    }),
    // stored by an older scan with Clair's OSV range form: listed as the fixed version
    vuln({
      owner: 'Bob@Example.org',
      repository: 'harbor.example.org/bob/api',
      vulnerability: 'GHSA-v845-jxx5-vc9f',
      package: { name: 'urllib3', version: '1.26.5' },
      fixedIn: 'fixed=1.26.17&introduced=0',
    }),
    policy({ owner: 'bob@example.org', rule: 'not-in-registry', repository: 'harbor.example.org/bob/api' }),
    selinux(),
  ]);
  await store.put('policy-findings', 'policy|broken', { kind: 'policy', key: 'policy|broken' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imagewarden findings list', () => {
  it('prints a table, worst first, and a summary line on stderr; exit 1 for the broken record it skipped', async () => {
    const run = await runImagewarden(['findings', 'list', '-c', config]);

    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+KIND\s+IMAGE\s+OWNER\s+FIRST SEEN\s+WHAT$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['Critical', 'vulnerability'],
      ['High', 'vulnerability'],
      ['High', 'selinux'],
      ['Medium', 'policy'],
    ]);
    expect(run.stdout).toContain('CVE-2023-45853 zlib1g 1:1.2.13.dfsg-1 -> no fix yet');
    expect(run.stdout).toContain('GHSA-v845-jxx5-vc9f urllib3 1.26.5 -> 1.26.17');
    expect(run.stdout).not.toContain('introduced=');
    expect(run.stderr).toContain(
      'findings: 4 listed (2 vulnerability, 1 policy, 1 selinux) of 4 stored; 1 stored records failed the schema and were skipped',
    );
  });

  it('--json writes only a JSON array to stdout, every kind with the same keys', async () => {
    const run = await runImagewarden(['findings', 'list', '-c', config, '--json']);

    const rows = JSON.parse(run.stdout) as FindingRow[];
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual(
      Array(4).fill(Object.keys(rows[0] as object).sort()),
    );
    expect(rows.find((r) => r.vulnerability === 'GHSA-v845-jxx5-vc9f')).toMatchObject({
      kind: 'vulnerability',
      key: 'vuln|harbor.example.org/bob/api|GHSA-v845-jxx5-vc9f|urllib3',
      repository: 'harbor.example.org/bob/api',
      image: 'harbor.example.org/bob/api',
      digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      owner: 'Bob@Example.org',
      severity: 'High',
      package: 'urllib3',
      version: '1.26.5',
      fixedIn: '1.26.17',
      rule: null,
      firstSeen: '2026-01-01T00:00:00Z',
    });
    expect(rows.find((r) => r.kind === 'policy')).toMatchObject({
      rule: 'not-in-registry',
      vulnerability: null,
    });
    expect(rows.find((r) => r.kind === 'selinux')).toMatchObject({ check: expect.any(String), digest: null });
    expect(run.stderr).toMatch(/^findings: 4 listed/m);
  });

  it('filters by owner (case-insensitive), severity and kind, combined', async () => {
    const byOwner = JSON.parse(
      (await runImagewarden(['findings', 'list', '-c', config, '--json', '--owner', 'BOB@example.org']))
        .stdout,
    ) as FindingRow[];
    expect(byOwner.map((r) => r.kind).sort()).toEqual(['policy', 'vulnerability']);

    const combined = JSON.parse(
      (
        await runImagewarden([
          'findings',
          'list',
          '-c',
          config,
          '--json',
          '--owner',
          'Bob <bob@example.org>',
          '--severity',
          'high',
          '--kind',
          'vulnerability',
        ])
      ).stdout,
    ) as FindingRow[];
    expect(combined.map((r) => r.vulnerability)).toEqual(['GHSA-v845-jxx5-vc9f']);

    const several = JSON.parse(
      (await runImagewarden(['findings', 'list', '-c', config, '--json', '--severity', 'Critical,Medium']))
        .stdout,
    ) as FindingRow[];
    expect(several.map((r) => r.severity)).toEqual(['Critical', 'Medium']);

    const atLeast = JSON.parse(
      (await runImagewarden(['findings', 'list', '-c', config, '--json', '--min-severity', 'High'])).stdout,
    ) as FindingRow[];
    expect(atLeast.map((r) => r.severity)).toEqual(['Critical', 'High', 'High']);

    const none = await runImagewarden(['findings', 'list', '-c', config, '--owner', 'nobody@example.org']);
    expect(none.stdout).toBe('No findings.\n');
    expect(none.stderr).toContain('findings: 0 listed');
  });

  it.each([
    [
      ['--severity', 'urgent'],
      '--severity: unknown severity "urgent"; expected one of Unknown, Negligible, Low, Medium, High, Critical',
    ],
    [['--severity', 'High,bad'], '--severity: unknown severity "bad"'],
    [['--min-severity', 'huge'], '--min-severity: unknown severity "huge"'],
    [['--kind', 'vulns'], '--kind: unknown kind "vulns"; expected one of vulnerability, policy, selinux'],
    [['--owner', 'not-an-address'], '--owner: "not-an-address" is not an email address'],
  ])('exits 2 naming the bad value of %j', async (args, message) => {
    const run = await runImagewarden(['findings', 'list', '-c', config, '--json', ...args]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('explains itself in --help', async () => {
    const run = await runImagewarden(['findings', 'list', '--help']);

    expect(run.code).toBe(0);
    for (const text of ['--json', '--owner <address>', '--severity <severity>', '--kind <kind>', 'stderr'])
      expect(run.stdout).toContain(text);
  });
});
