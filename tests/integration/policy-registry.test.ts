// The `not-in-registry` policy rule end to end: `imagewarden inventory` against a real
// docker-registry (basic auth) holding one running image and no longer holding another (its
// manifest deleted), plus a registry that answers 503 and a run with refused credentials:
// only the 404 is a finding, the rest is "registry unknown".
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { PolicyFinding } from '../../core/findings/Finding.ts';
import { runImagewarden } from '../support/cli.ts';
import { deleteManifest, pushImage } from '../support/images.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';

interface Report {
  policy: {
    counts: Record<string, number>;
    registryUnknown: { repository: string; reason: string }[];
    findings: PolicyFinding[];
  };
}

describe('policy not-in-registry with docker-registry', () => {
  let registry: TestRegistry;
  let failing: Server;
  let failingHost: string;
  let dir: string;
  let kept: { digest: string };
  let doomed: { digest: string };

  const config = (dockerConfig: string) =>
    stringify({
      state: { dir: join(dir, 'state') },
      registry: { dockerConfig, insecure: [registry.host, failingHost], pingTimeout: '2s', retries: 0 },
      inventory: { source: 'file', file: join(dir, 'containers.ndjson'), lookback: '2h' },
      owners: { securityContact: 'security@example.org' },
      policy: { approvedRegistries: [registry.host, failingHost], maxAgeDays: 3650 },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-policy-registry-'));
    registry = await startRegistry({ auth: 'basic' });
    kept = await pushImage(registry, { repository: 'team/kept', tag: '1.0' });
    doomed = await pushImage(registry, {
      repository: 'team/doomed',
      tag: '1.0',
      files: [{ name: 'x', content: 'doomed\n' }],
    });
    await deleteManifest(registry, 'team/doomed', doomed.digest);
    // a registry that is up (/v2/ answers) but fails every manifest request
    failing = createServer((req, res) => {
      if (req.url === '/v2/') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE"}]}');
      }
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    failingHost = `127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const at = new Date(Date.now() - 10 * 60_000).toISOString();
    const doc = (host: string, id: string, name: string, digest: string) =>
      JSON.stringify({
        '@timestamp': at,
        host: { name: host },
        container: { id, image: { name, hash: { all: [digest] } }, labels: { owner: 'team@example.org' } },
      });
    await writeFile(
      join(dir, 'containers.ndjson'),
      [
        doc('web1', 'c1', `${registry.host}/team/kept:1.0`, kept.digest),
        doc('web2', 'c2', `${registry.host}/team/doomed:1.0`, doomed.digest),
        doc('web3', 'c3', `${failingHost}/team/flaky:2`, `sha256:${'f'.repeat(64)}`),
      ].join('\n'),
    );
    await writeFile(join(dir, 'docker-config.json'), dockerConfigJson(registry));
    await writeFile(
      join(dir, 'wrong-config.json'),
      dockerConfigJson({ host: registry.host, username: 'imagewarden', password: 'wrong' }),
    );
    await writeFile(join(dir, 'config.yaml'), config(join(dir, 'docker-config.json')));
    await writeFile(join(dir, 'wrong.yaml'), config(join(dir, 'wrong-config.json')));
  });

  afterAll(async () => {
    await Promise.allSettled([registry?.stop(), new Promise((r) => failing?.close(r))]);
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the image whose running digest the approved registry answers 404 for, and only that one', async () => {
    // Act
    const run = await runImagewarden(['inventory', '-c', join(dir, 'config.yaml'), '--json']);
    // Assess
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Report;
    const notInRegistry = out.policy.findings.filter((f) => f.rule === 'not-in-registry');
    expect(notInRegistry.map((f) => f.key)).toEqual([`policy|${registry.host}/team/doomed|not-in-registry`]);
    expect(notInRegistry[0]).toMatchObject({ severity: 'High', digests: [doomed.digest] });
    expect(notInRegistry[0]?.detail).toContain('404');
    // the 503 registry: unknown, listed with the reason, never a breach
    expect(out.policy.counts).toMatchObject({ 'not-in-registry': 1, registryUnknown: 1 });
    expect(out.policy.registryUnknown).toEqual([
      {
        repository: `${failingHost}/team/flaky`,
        digest: `sha256:${'f'.repeat(64)}`,
        reason: expect.stringMatching(/503/),
      },
    ]);
    expect(run.stderr).toMatch(/1 not in registry, .* 1 registry unknown;/);
  });

  it('reports refused credentials as unknown, not as images missing from the registry', async () => {
    // Act
    const run = await runImagewarden(['inventory', '-c', join(dir, 'wrong.yaml'), '--json', '--no-store']);
    // Assess
    const out = JSON.parse(run.stdout) as Report;
    expect(out.policy.findings.filter((f) => f.rule === 'not-in-registry')).toEqual([]);
    expect(out.policy.counts).toMatchObject({ 'not-in-registry': 0, registryUnknown: 3 });
    expect(out.policy.registryUnknown.map((u) => u.repository).sort()).toEqual(
      [`${failingHost}/team/flaky`, `${registry.host}/team/doomed`, `${registry.host}/team/kept`].sort(),
    );
  });
});
