// Shared fixtures for the scan tests: inventory items, a Clair fake with synthetic images on a
// local blob server, a file state store in a temp dir, and ports wired to them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import type { InventoryItem, InventorySnapshot } from '../../../../functions/inventory/InventoryItem.ts';
import { ClairScanner } from '../../../../functions/scan/ClairScanner.ts';
import type { ScanPorts } from '../../../../functions/scan/scanDigest.ts';
import {
  type BlobServer,
  type ClairFake,
  type ClairFakeOptions,
  SyntheticImages,
  startBlobServer,
  startClairFake,
} from '../../../support/clair-fake.ts';

export function item(
  repository: string,
  digest: string,
  overrides: Partial<InventoryItem> = {},
): InventoryItem {
  return {
    id: digest,
    digest,
    repository,
    registry: repository.split('/')[0] as string,
    tags: ['1.0'],
    references: [`${repository}:1.0`],
    hosts: { count: 2, sample: ['host-a', 'host-b'] },
    containers: 3,
    ownerCandidates: [],
    owner: { address: 'team@example.org', rule: 'label', detail: 'org.opencontainers.image.authors' },
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-02T00:00:00Z',
    ...overrides,
  };
}

export function snapshot(items: InventoryItem[]): InventorySnapshot {
  return {
    takenAt: '2026-01-02T00:00:00Z',
    window: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    items,
  };
}

export const VULNS: ClairFakeOptions['vulnerabilities'] = {
  openssl: [{ name: 'CVE-2026-0001', normalizedSeverity: 'Critical', fixedIn: '3.0.9' }],
  zlib: [{ name: 'CVE-2026-0002', normalizedSeverity: 'Low' }],
  curl: [{ name: 'CVE-2026-0003', normalizedSeverity: 'High', fixedIn: '8.1' }],
};

export interface ScanWorld {
  fake: ClairFake;
  blobs: BlobServer;
  images: SyntheticImages;
  store: FileStateStore;
  clock: ManualClock;
  ports: ScanPorts;
  /** `127.0.0.1:PORT` of the blob server: the registry domain of synthetic images. */
  registry: string;
  sleeps: number[];
  /** Records the delay and returns at once: pass to the driver so tests never wait. */
  sleep: (ms: number) => Promise<void>;
  close(): Promise<void>;
}

export async function scanWorld(
  options: ClairFakeOptions & { psk?: Uint8Array; blobAuthorization?: string } = {},
): Promise<ScanWorld> {
  const fake = await startClairFake({ vulnerabilities: VULNS, ...options });
  const blobs = await startBlobServer(
    options.blobAuthorization ? { authorization: options.blobAuthorization } : {},
  );
  const images = new SyntheticImages(blobs, options.blobAuthorization);
  const dir = await mkdtemp(join(tmpdir(), 'iw-scan-'));
  const store = new FileStateStore(dir);
  const clock = new ManualClock('2026-01-02T00:00:00Z');
  const sleeps: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };
  const scanner = new ClairScanner({
    url: fake.url,
    ...(options.psk ? { psk: options.psk } : {}),
    sleep,
    random: () => 0.5,
  });
  return {
    fake,
    blobs,
    images,
    store,
    clock,
    sleeps,
    sleep,
    registry: new URL(blobs.url).host,
    ports: { scanner, manifests: images, store, clock, logger: silentLogger() },
    /** Stops everything, then fails the test if Clair got a request it does not understand. */
    close: async () => {
      const unhandled = [...fake.unhandled];
      await Promise.allSettled([fake.stop(), blobs.stop(), rm(dir, { recursive: true, force: true })]);
      expect(unhandled).toEqual([]);
    },
  };
}
