// The scan step against a real docker-registry (token auth, with the harness's JWT issuer) and
// the Clair v4 protocol fake, which fetches every layer from the registry with the URL and
// Authorization header we hand it, as Clair's indexer does. Also `imagewarden scan` end to end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { CredentialStore } from '../../core/registry/credentials.ts';
import { RegistryClient } from '../../core/registry/RegistryClient.ts';
import { FileStateStore } from '../../core/state/FileStateStore.ts';
import type { InventoryItem, InventorySnapshot } from '../../functions/inventory/InventoryItem.ts';
import { saveInventory } from '../../functions/inventory/inventoryStore.ts';
import { ClairScanner } from '../../functions/scan/ClairScanner.ts';
import { SCAN_RESULTS, type ScanResult } from '../../functions/scan/ScanResult.ts';
import type { ScanPorts } from '../../functions/scan/scanDigest.ts';
import { scanInventory } from '../../functions/scan/scanInventory.ts';
import { type ClairFake, startClairFake } from '../support/clair-fake.ts';
import { runImagewarden } from '../support/cli.ts';
import { type PushedImage, type PushedIndex, pushImage, pushIndex } from '../support/images.ts';
import { freePort, waitUntil } from '../support/ports.ts';
import { dockerConfigJson, startRegistry, type TestRegistry } from '../support/registry.ts';

const VULNS = {
  openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  busybox: [{ name: 'CVE-2026-0005', normalizedSeverity: 'Medium' }],
};

function item(
  registry: TestRegistry,
  repository: string,
  digest: string,
  extra: Partial<InventoryItem> = {},
): InventoryItem {
  return {
    id: digest,
    digest,
    repository: `${registry.host}/${repository}`,
    registry: registry.host,
    tags: [],
    references: [],
    hosts: { count: 3, sample: ['node-1', 'node-2', 'node-3'] },
    containers: 6,
    ownerCandidates: [],
    owner: { address: 'team@example.org', rule: 'label', detail: 'imagewarden.io/owner' },
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-02T00:00:00Z',
    ...extra,
  };
}

const PSK = new Uint8Array(Buffer.from('imagewarden-scan-registry-test-psk'));
const NOTIFICATION_ID = '6f1c2b7e-3d4a-4c5b-9e8f-7a6b5c4d3e2f';

describe('scan with Clair (fake) pulling layers from docker-registry (token auth)', () => {
  let registry: TestRegistry;
  let clair: ClairFake;
  let dir: string;
  let app: PushedImage;
  let tool: PushedImage;
  let multi: PushedIndex;
  let snapshot: InventorySnapshot;
  let credentials: CredentialStore;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token' });
    // the webhook refuses to run without Clair's PSK: the notifier signs its delivery with it
    clair = await startClairFake({ vulnerabilities: VULNS });
    dir = await mkdtemp(join(tmpdir(), 'iw-scan-it-'));
    await writeFile(join(dir, 'clair-psk'), Buffer.from(PSK).toString('base64'));
    app = await pushImage(registry, {
      repository: 'team/app',
      tag: '1.0',
      files: [{ name: 'packages.txt', content: 'openssl 3.0.1\nbusybox 1.36\n' }],
    });
    tool = await pushImage(registry, {
      repository: 'team/tool',
      tag: '2.0',
      files: [{ name: 'packages.txt', content: 'busybox 1.35\n' }],
    });
    multi = await pushIndex(registry, {
      repository: 'team/multi',
      tag: 'latest',
      platforms: [
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 'amd64' },
      ],
    });
    credentials = CredentialStore.fromDockerConfig(dockerConfigJson(registry), 'pull secret');
    snapshot = {
      takenAt: '2026-01-02T00:00:00Z',
      window: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
      items: [
        item(registry, 'team/app', app.digest, { hosts: { count: 30, sample: ['node-1'] }, containers: 90 }),
        // the same digest under a second inventory id (reported through another reference)
        item(registry, 'team/app', app.digest, { id: 'app-by-tag', hosts: { count: 2, sample: ['node-9'] } }),
        item(registry, 'team/tool', tool.digest),
        item(registry, 'team/multi', multi.digest),
      ],
    };
  });
  afterAll(async () => {
    const unhandled = [...(clair?.unhandled ?? [])];
    await Promise.allSettled([
      clair?.stop(),
      registry?.stop(),
      dir ? rm(dir, { recursive: true, force: true }) : undefined,
    ]);
    // every request to Clair was one it understands
    expect(unhandled).toEqual([]);
  });

  function ports(
    store: FileStateStore,
    client = new RegistryClient({ insecure: [registry.host], credentials }),
  ): ScanPorts {
    return {
      scanner: new ClairScanner({ url: clair.url }),
      manifests: client,
      store,
      clock: new ManualClock('2026-01-02T00:00:00Z'),
      logger: silentLogger(),
    };
  }

  it('indexes each in-use digest once; Clair fetched every layer with our URL and token', async () => {
    // Prepare
    const store = new FileStateStore(join(dir, 'state-a'));
    // Act
    const result = await scanInventory(snapshot, ports(store));
    // Assess
    expect(result).toMatchObject({ digests: 3, scanned: 3, indexed: 3, failed: 0 });
    expect(clair.calls.post_index_report).toBe(3);
    expect(clair.calls.layer_fetch).toBe(3);
    const amd64 = multi.manifests.find((m) => m.platform.architecture === 'amd64')?.digest;
    expect(await store.get<ScanResult>(SCAN_RESULTS, multi.digest)).toMatchObject({
      status: 'scanned',
      indexDigest: multi.digest,
      manifestHash: amd64,
    });
    const posted = clair.posted as Array<{
      hash: string;
      layers: Array<{ uri: string; headers: Record<string, string[]> }>;
    }>;
    expect(posted.map((p) => p.hash).sort()).toEqual([app.digest, tool.digest, amd64].sort());
    for (const p of posted) {
      expect(p.layers[0]?.uri).toMatch(new RegExp(`^${registry.url}/v2/team/\\w+/blobs/sha256:`));
      expect(p.layers[0]?.headers.Authorization?.[0]).toMatch(/^Bearer /);
    }
    const openssl = await store.get<{ digests: string[]; where: { hostCount: number } }>(
      'vuln-findings',
      `vuln|${registry.host}/team/app|CVE-2026-0001|openssl`,
    );
    expect(openssl).toMatchObject({ digests: [app.digest], where: { hostCount: 32 } });
  });

  it('second run: zero index POSTs; after an indexer state change: everything again', async () => {
    const store = new FileStateStore(join(dir, 'state-b'));
    await scanInventory(snapshot, ports(store));
    const posts = clair.calls.post_index_report;
    const second = await scanInventory(snapshot, ports(store));
    expect(second).toMatchObject({ scanned: 3, indexed: 0 });
    expect(clair.calls.post_index_report).toBe(posts);
    clair.setState('state-after-updater-change');
    const third = await scanInventory(snapshot, ports(store));
    expect(third).toMatchObject({ scanned: 3, indexed: 3 });
    expect(clair.calls.post_index_report).toBe(posts + 3);
  });

  it('without registry credentials every digest fails with the registry refusal, and the run still ends', async () => {
    const store = new FileStateStore(join(dir, 'state-c'));
    const result = await scanInventory(
      snapshot,
      ports(store, new RegistryClient({ insecure: [registry.host], retries: 0 })),
    );
    expect(result).toMatchObject({ digests: 3, failed: 3, scanned: 0 });
    expect(result.problems[0]?.reason).toMatch(/401|403|denied|unauthorized/i);
  });

  it('`imagewarden scan --json` composes the same step from config and exits 0', async () => {
    // Prepare
    const stateDir = join(dir, 'state-cli');
    await saveInventory(new FileStateStore(stateDir), snapshot);
    const dockerConfig = join(dir, 'docker-config.json');
    await writeFile(dockerConfig, dockerConfigJson(registry));
    const configFile = join(dir, 'imagewarden.json');
    await writeFile(
      configFile,
      JSON.stringify({
        log: { level: 'silent' },
        state: { dir: stateDir },
        registry: { dockerConfig, insecure: [registry.host] },
        scan: { clair: { url: clair.url, psk: `file:${join(dir, 'clair-psk')}` } },
      }),
    );
    // Act
    const run = await runImagewarden(['scan', '--json', '--config', configFile]);
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ digests: 3, scanned: 3, failed: 0 });
    expect(run.stderr).toMatch(/^scan: 3 digests /m);
    const text = await runImagewarden(['scan', '--config', configFile]);
    expect(text.stdout).toMatch(/^scan: 3 digests .* 3 scanned \(0 indexed, 3 reports still fresh\)/);
  });

  it('`imagewarden serve-webhook` takes a notifier delivery, marks the in-use image and deletes the notification', async () => {
    // Prepare: the state of the CLI scan above (inventory + scan results)
    const configFile = join(dir, 'imagewarden.json');
    const port = await freePort();
    const controller = new AbortController();
    const serving = runImagewarden(['serve-webhook', '--config', configFile, '--port', String(port)], {
      signal: controller.signal,
    });
    const url = `http://127.0.0.1:${port}/`;
    const store = new FileStateStore(join(dir, 'state-cli'));
    let status: number;
    try {
      await waitUntil('the webhook server', async () => (await fetch(url, { method: 'GET' })).status === 405);
      // Act
      status = await clair.notify(
        url,
        NOTIFICATION_ID,
        [{ manifest: app.digest, vulnerability: 'CVE-2026-7777' }],
        {
          psk: PSK,
        },
      );
      await waitUntil('the notification to be processed', async () => {
        const record = await store.get<{ status: string }>('clair-notifications', NOTIFICATION_ID);
        return record?.status === 'done';
      });
    } finally {
      // stop the server even when the test fails, so it does not outlive the test
      controller.abort();
    }
    const run = await serving;
    // Assess
    expect(status).toBe(200);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`listening for Clair notifications on ${url}`);
    expect(clair.notifications.get(NOTIFICATION_ID)?.deleted).toBe(true);
    expect(await store.get('renotify', app.digest)).toMatchObject({
      repository: `${registry.host}/team/app`,
      vulnerabilities: [{ name: 'CVE-2026-7777', reason: 'added', severity: 'High' }],
    });
  });

  it('`imagewarden scan` without Clair configured exits 2 naming the key', async () => {
    const configFile = join(dir, 'no-clair.json');
    await writeFile(configFile, JSON.stringify({ state: { dir: join(dir, 'x') } }));
    const run = await runImagewarden(['scan', '--config', configFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/scan\.clair\.url is not set/);
  });
});
