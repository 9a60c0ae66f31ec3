// Scan benchmark: 150 unique digests from an inventory of 1,500 containers, against the Clair
// fake with 50 ms latency per call and an index concurrency cap of 8 (429 above it).
// Side by side: the scan driver vs a naive client that indexes and reads the report for every
// container, one after another. Synthetic manifests: layer blobs come from a tiny local blob
// server (not the docker-registry harness) so the figures measure the scan logic, not the
// registry. The naive run is capped at 150 containers and extrapolated to 1,500 (labelled).
// The driver runs against an in-memory StateStore (parallel writes, like DynamoDB in AWS) and,
// for comparison, the local FileStateStore, which fsyncs a whole collection file per write.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.ts';
import { parseImageReference } from '../core/image-reference.ts';
import { silentLogger } from '../core/logger.ts';
import { FileStateStore } from '../core/state/FileStateStore.ts';
import type { Lease, LeaseRequest } from '../core/state/lease.ts';
import { MemoryLeases } from '../core/state/MemoryLeases.ts';
import type { StateRecord, StateStore } from '../core/state/StateStore.ts';
import type { InventoryItem } from '../functions/inventory/InventoryItem.ts';
import { buildClairManifest } from '../functions/scan/buildClairManifest.ts';
import { ClairScanner } from '../functions/scan/ClairScanner.ts';
import type { ScanPorts } from '../functions/scan/scanDigest.ts';
import { scanInventory } from '../functions/scan/scanInventory.ts';
import {
  type ClairCall,
  type ClairFake,
  packagesLayer,
  SyntheticImages,
  startBlobServer,
  startClairFake,
} from '../tests/support/clair-fake.ts';
import { emit, line, ratio, timed } from './lib.ts';

const DIGESTS = 150;
const CONTAINERS_PER_DIGEST = 10;
const LATENCY_MS = 50;
const CAP = 8;
const NAIVE_MEASURED = 150;

const fresh = async (
  digests = DIGESTS,
): Promise<{
  clair: ClairFake;
  stop: () => Promise<void>;
  images: SyntheticImages;
  items: InventoryItem[];
}> => {
  const clair = await startClairFake({
    latencyMs: LATENCY_MS,
    indexConcurrency: CAP,
    vulnerabilities: { openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'High', fixedIn: '3.0.9' }] },
  });
  const blobs = await startBlobServer();
  const images = new SyntheticImages(blobs);
  const registry = new URL(blobs.url).host;
  const items: InventoryItem[] = Array.from({ length: digests }, (_, i) => {
    const digest = images.addImage([packagesLayer([{ name: 'openssl', version: `3.0.${i}` }])]);
    return {
      id: digest,
      digest,
      repository: `${registry}/team/svc${i % 30}`,
      registry,
      tags: [],
      references: [],
      hosts: { count: CONTAINERS_PER_DIGEST, sample: [] },
      containers: CONTAINERS_PER_DIGEST,
      ownerCandidates: [],
      owner: { address: 'team@example.org', rule: 'label', detail: 'bench' },
      firstSeen: '2026-01-01T00:00:00Z',
      lastSeen: '2026-01-02T00:00:00Z',
    };
  });
  return {
    clair,
    images,
    items,
    stop: async () => {
      await clair.stop();
      await blobs.stop();
    },
  };
};

/** Parallel, in-process state: what the scan logic costs without a serialising store. */
class MemoryStateStore implements StateStore {
  readonly #data = new Map<string, Map<string, string>>();
  readonly #leases = new MemoryLeases();
  acquireLease = (request: LeaseRequest) => this.#leases.acquireLease(request);
  renewLease = (lease: Lease, ttlMs: number) => this.#leases.renewLease(lease, ttlMs);
  releaseLease = (lease: Lease) => this.#leases.releaseLease(lease);
  #table(collection: string): Map<string, string> {
    const table = this.#data.get(collection) ?? new Map<string, string>();
    this.#data.set(collection, table);
    return table;
  }
  async get<T>(collection: string, key: string): Promise<T | undefined> {
    const text = this.#table(collection).get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  async put<T>(collection: string, key: string, value: T): Promise<void> {
    this.#table(collection).set(key, JSON.stringify(value));
  }
  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    if (this.#table(collection).has(key)) return false;
    await this.put(collection, key, value);
    return true;
  }
  async delete(collection: string, key: string): Promise<void> {
    this.#table(collection).delete(key);
  }
  async list<T>(collection: string, prefix = ''): Promise<StateRecord<T>[]> {
    return [...this.#table(collection)]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, text]) => ({ key, value: JSON.parse(text) as T }));
  }
}

const calls = (clair: ClairFake, keys: ClairCall[]) =>
  Object.fromEntries(keys.map((k) => [k, clair.calls[k]]));
const KEYS: ClairCall[] = [
  'index_state',
  'get_index_report',
  'post_index_report',
  'vulnerability_report',
  'throttled',
];

async function driver(concurrency: number, store: 'memory' | 'file' = 'memory', digests = DIGESTS) {
  const world = await fresh(digests);
  const dir = await mkdtemp(join(tmpdir(), 'iw-bench-scan-'));
  const ports: ScanPorts = {
    scanner: new ClairScanner({ url: world.clair.url }),
    manifests: world.images,
    store: store === 'memory' ? new MemoryStateStore() : new FileStateStore(dir),
    clock: systemClock,
    logger: silentLogger(),
  };
  const snapshot = { takenAt: '', window: { from: '', to: '' }, items: world.items };
  try {
    const first = await timed(() => scanInventory(snapshot, ports, { concurrency }));
    const firstCalls = calls(world.clair, KEYS);
    const second = await timed(() => scanInventory(snapshot, ports, { concurrency }));
    const secondCalls = Object.fromEntries(KEYS.map((k) => [k, world.clair.calls[k] - (firstCalls[k] ?? 0)]));
    return { first, firstCalls, second, secondCalls };
  } finally {
    await world.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function naive() {
  const world = await fresh();
  const scanner = new ClairScanner({ url: world.clair.url });
  // every container on its own: 10 containers per digest, one after another
  const containers = world.items.flatMap((item) => Array.from({ length: CONTAINERS_PER_DIGEST }, () => item));
  try {
    const run = await timed(async () => {
      for (const item of containers.slice(0, NAIVE_MEASURED)) {
        const built = await buildClairManifest(
          parseImageReference(`${item.repository}@${item.digest}`),
          world.images,
        );
        await scanner.index(built.manifest);
        await scanner.vulnerabilityReport(built.manifestHash);
      }
    });
    return { ms: run.ms, calls: calls(world.clair, KEYS), containers: containers.length };
  } finally {
    await world.stop();
  }
}

const perDigestCalls = 2; // POST index_report + GET vulnerability_report
const ideal = Math.ceil(DIGESTS / CAP) * perDigestCalls * LATENCY_MS;

const loadBefore = loadavg()[0] ?? 0;
line('machine load average (1 min) at start', loadBefore);
// warm-up (not measured): JIT, HTTP keep-alive pools and schema code paths, on its own fake
await driver(CAP, 'memory', 24);
const d = await driver(CAP);
line('driver (concurrency 8, memory store) run 1 wall ms', d.first.ms);
line('driver run 1 calls', JSON.stringify(d.firstCalls));
line(
  'driver run 1 scanned / indexed / 429s',
  `${d.first.result.scanned} / ${d.first.result.indexed} / ${d.first.result.throttles}`,
);
line('ideal for the cap: ceil(150/8) x 2 calls x 50 ms', ideal);
line('driver run 1 / ideal (target <= 1.3)', ratio(d.first.ms, ideal));
line('driver run 2 wall ms', d.second.ms);
line('driver run 2 calls', JSON.stringify(d.secondCalls));

const file = await driver(CAP, 'file');
line('driver, FileStateStore (local default) run 1 wall ms', file.first.ms);
line('driver, FileStateStore run 2 wall ms', file.second.ms);

const over = await driver(2 * CAP);
line('driver (concurrency 16 vs cap 8) run 1 wall ms', over.first.ms);
line(
  '  429s received / lowest concurrency',
  `${over.first.result.throttles} / ${over.first.result.minConcurrency}`,
);
line('  calls', JSON.stringify(over.firstCalls));

const n = await naive();
const naiveProjected = n.ms * (n.containers / NAIVE_MEASURED);
line(`naive: ${NAIVE_MEASURED} of ${n.containers} containers, measured wall ms`, n.ms);
line('naive: calls for the measured containers', JSON.stringify(n.calls));
line(`naive: 1,500 containers, EXTRAPOLATED x${n.containers / NAIVE_MEASURED} wall ms`, naiveProjected);
line('naive (extrapolated) / driver run 1', ratio(naiveProjected, d.first.ms));
line('naive index POSTs (extrapolated) / driver', ratio((n.calls.post_index_report ?? 0) * 10, DIGESTS));

emit('scan', {
  digests: DIGESTS,
  containers: DIGESTS * CONTAINERS_PER_DIGEST,
  latencyMs: LATENCY_MS,
  cap: CAP,
  idealMs: ideal,
  driverRun1Ms: Math.round(d.first.ms),
  driverRun1Calls: d.firstCalls,
  driverRun1Posts: d.firstCalls.post_index_report,
  driverRun1Throttles: d.first.result.throttles,
  driverRun1OverIdeal: Number(ratio(d.first.ms, ideal).toFixed(3)),
  driverRun2Ms: Math.round(d.second.ms),
  driverRun2Calls: d.secondCalls,
  driverRun2Posts: d.secondCalls.post_index_report,
  fileStoreRun1Ms: Math.round(file.first.ms),
  fileStoreRun2Ms: Math.round(file.second.ms),
  overCapRun1Ms: Math.round(over.first.ms),
  overCapThrottles: over.first.result.throttles,
  overCapMinConcurrency: over.first.result.minConcurrency,
  naiveMeasuredContainers: NAIVE_MEASURED,
  naiveMeasuredMs: Math.round(n.ms),
  naiveExtrapolatedMs: Math.round(naiveProjected),
  naiveOverDriver: Number(ratio(naiveProjected, d.first.ms).toFixed(1)),
  loadAverageAtStart: Number(loadBefore.toFixed(2)),
  targets: {
    posts150: d.firstCalls.post_index_report === DIGESTS,
    secondRunZeroPosts: d.secondCalls.post_index_report === 0,
    within1_3xIdeal: d.first.ms <= 1.3 * ideal,
  },
});
