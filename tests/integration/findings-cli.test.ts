// `imagewarden findings list` end to end through the real CLI process (`node --import tsx
// cli/main.ts`, what `npm run imagewarden` runs), on data shaped like the real sources: the
// inventory reads ECS documents (multi-valued container.image.hash.all, name variants, an
// owner list label) for an image pushed to a real docker-registry, the scan reads a Clair
// VulnerabilityReport in the matcher's shape (served by the Clair fake), and the listing is
// checked as a script would read it: stdout is JSON and nothing else.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingRow } from '../../cli/commands/findings.ts';
import { type ClairFake, startClairFake } from '../support/clair-fake.ts';
import { pushImage } from '../support/images.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';
import { clairReport } from '../unit/functions/scan/clair-report-fixture.ts';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

async function imagewarden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('findings list through the CLI process, after inventory and scan on realistic data', () => {
  let registry: TestRegistry;
  let clair: ClairFake;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-findings-cli-'));
    registry = await startRegistry({ auth: 'basic' });
    const app = await pushImage(registry, {
      repository: 'team/app',
      tag: '3.2',
      created: new Date().toISOString(),
      files: [{ name: 'packages.txt', content: 'libssl3 3.0.11-1~deb12u1\n' }],
    });
    clair = await startClairFake({});
    // the matcher answers with a report in Clair's own shape for whatever manifest was indexed
    clair.rewriteReport = (body) => ({ ...clairReport(), manifest_hash: body.manifest_hash });
    const at = new Date(Date.now() - 10 * 60_000).toISOString();
    const doc = (host: string, id: string, name: string) =>
      JSON.stringify({
        '@timestamp': at,
        host: { name: host },
        container: {
          id,
          image: { name, hash: { all: ['sha256:not-a-digest', app.digest] } },
          labels: { org_opencontainers_image_authors: 'App Team <app@corp.example>, Ops <ops@corp.example>' },
        },
      });
    await writeFile(
      join(dir, 'containers.ndjson'),
      [
        doc('web1', 'c1', `${registry.host}/team/app:3.2`),
        doc('web2', 'c2', `${registry.host}/team/app`),
        doc('web2', 'c3', `${registry.host}/team/app:3.2`),
      ].join('\n'),
    );
    await writeFile(join(dir, 'docker-config.json'), dockerConfigJson(registry));
    config = join(dir, 'imagewarden.json');
    await writeFile(
      config,
      JSON.stringify({
        state: { dir: join(dir, 'state') },
        registry: { dockerConfig: join(dir, 'docker-config.json'), insecure: [registry.host], retries: 0 },
        inventory: { source: 'file', file: join(dir, 'containers.ndjson'), lookback: '2h' },
        owners: { securityContact: 'security@corp.example' },
        policy: { approvedRegistries: [registry.host], maxAgeDays: 30 },
        scan: { clair: { url: clair.url } },
      }),
    );
    const inventory = await imagewarden(['inventory', '-c', config, '--json']);
    expect(JSON.parse(inventory.stdout).snapshot.items).toHaveLength(1);
    const scan = await imagewarden(['scan', '-c', config, '--json']);
    expect(JSON.parse(scan.stdout)).toMatchObject({ scanned: 1, failed: 0 });
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled([registry?.stop(), clair?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('--json prints the stored findings as one JSON array on stdout, the summary on stderr', async () => {
    // Act
    const run = await imagewarden(['findings', 'list', '-c', config, '--json', '--kind', 'vulnerability']);
    // Assess
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as FindingRow[];
    expect(rows.map((r) => [r.severity, r.vulnerability, r.package, r.version, r.fixedIn])).toEqual([
      ['Critical', 'CVE-2023-45853', 'zlib1g', '1:1.2.13.dfsg-1', null],
      ['High', 'GHSA-v845-jxx5-vc9f', 'urllib3', '1.26.5', '1.26.17'],
      ['Medium', 'CVE-2024-0727', 'libssl3', '3.0.11-1~deb12u1', '3.0.13-1~deb12u1'],
      ['Medium', 'PYSEC-2023-74', 'requests', '2.25.0', null],
    ]);
    expect(rows.every((r) => r.owner === 'app@corp.example' && r.image === `${registry.host}/team/app`)).toBe(
      true,
    );
    expect(rows[0]?.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.stderr).toMatch(/^findings: 4 listed \(4 vulnerability, 0 policy, 0 selinux\) of 4 stored$/m);
  });

  it('prints a table for people, without the OSV range query string', async () => {
    const run = await imagewarden(['findings', 'list', '-c', config, '--owner', 'APP@corp.example']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SEVERITY\s+KIND\s+IMAGE/);
    expect(run.stdout).toContain('GHSA-v845-jxx5-vc9f urllib3 1.26.5 -> 1.26.17');
    expect(run.stdout).not.toMatch(/introduced=|lastAffected|fixed=/);
    expect(run.stdout).not.toContain('jinja2');
  });

  it('exits 2 naming a bad --severity, with nothing on stdout', async () => {
    const run = await imagewarden(['findings', 'list', '-c', config, '--json', '--severity', 'severe']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--severity: unknown severity "severe"');
  });
});
