// The inventory step: container metadata of the window -> one InventoryItem per unique image.
// Buckets from the source are parsed (invalid image strings counted with a sample), tag-only
// references are resolved to digests through the registry (bounded, cached, a down registry
// pinged once and skipped), buckets that turn out to be the same digest are merged, the image
// age is read from the config blob, and each item gets its owner by the resolution chain.
import type { Clock } from '../../core/clock.ts';
import { mapBounded } from '../../core/concurrency.ts';
import { errorMessage } from '../../core/errors.ts';
import type { OwnerRule } from '../../core/findings/ResolvedOwner.ts';
import { formatImageReference, type ImageReference } from '../../core/image-reference.ts';
import type { Logger } from '../../core/logger.ts';
import { type HostOwnerDirectory, lookupHostOwners } from '../owners/HostOwnerDirectory.ts';
import { labelKeyVariants } from '../owners/labelKeys.ts';
import { ownerFromHosts, resolveOwner } from '../owners/resolveOwner.ts';
import type { ImageMetadata } from './ImageMetadata.ts';
import type { InventoryItem, InventorySnapshot } from './InventoryItem.ts';
import type { InventoryQuery, InventorySource, ShardFailures, SkippedDocuments } from './InventorySource.ts';
import {
  type ImagePartial,
  merge,
  push,
  SAMPLE,
  type Sample,
  tagReference,
  toPartial,
} from './imagePartials.ts';

export type { Sample } from './imagePartials.ts';

export interface InventoryPorts {
  source: InventorySource;
  metadata: ImageMetadata;
  /** Tried in order for host owners (static map first, then Nivlheim). */
  hostOwners: readonly HostOwnerDirectory[];
  clock: Clock;
  logger?: Logger;
}

export interface InventoryOptions {
  lookbackMs: number;
  asOf?: Date;
  /** Configured owner label keys; dedotted forms are added. */
  labelKeys: readonly string[];
  securityContact: string;
  /** Registry requests in flight at once. */
  concurrency: number;
  signal?: AbortSignal;
}

export interface InventoryResult {
  snapshot: InventorySnapshot;
  counts: {
    pages: number;
    buckets: number;
    documents: number;
    items: number;
    /** Buckets folded into another because they resolved to the same digest. */
    merged: number;
    invalid: number;
    skippedDocuments: number;
    /** Documents of the source outside the window (not read); undefined when it could not tell. */
    outsideWindow: number | undefined;
    unresolved: number;
    ageUnknown: number;
    registriesDown: number;
    ownerLabelsRejected: number;
    owners: Record<OwnerRule, number>;
  };
  /** Image strings (or digests) that could not be parsed. */
  invalid: Sample<{ image: string; reason: string }>;
  skippedDocuments: SkippedDocuments;
  /** Tag references left without a digest (registry down, tag gone, auth refused). */
  unresolved: Sample<{ reference: string; reason: string }>;
  registriesDown: string[];
  ownerLabelsRejected: Sample<{ repository: string; key: string; value: string; reason: string }>;
  /** Summed over pages; undefined when every page came from every shard. */
  partialShards: ShardFailures | undefined;
  /** Failures of optional lookups (host owner directories) that degraded the result. */
  problems: string[];
}

export async function buildInventory(
  ports: InventoryPorts,
  options: InventoryOptions,
): Promise<InventoryResult> {
  const { source, metadata, clock, logger } = ports;
  const labelKeys = labelKeyVariants(options.labelKeys);
  const query = {
    lookbackMs: options.lookbackMs,
    labelKeys,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const window = await source.window(query);
  const invalid: InventoryResult['invalid'] = { count: 0, sample: [] };
  const unresolved: InventoryResult['unresolved'] = { count: 0, sample: [] };
  const ownerLabelsRejected: InventoryResult['ownerLabelsRejected'] = { count: 0, sample: [] };
  const problems: string[] = [];
  const { pages, bucketCount, documents, partialShards, partials } = await readPages(source, query, invalid);
  if (partialShards) logger?.warn({ partialShards }, 'inventory built from partial shard results');

  const { up, registriesDown } = await pingRegistries(partials, metadata, options);
  const { byId, merged } = mergeByDigest(
    partials,
    await resolveTags(partials, metadata, up, options),
    unresolved,
  );
  const created = await readAges(byId, metadata, up, options, logger);
  const { items, ownerCounts } = await toItems({ byId, created, window, labelKeys }, ports, options, {
    ownerLabelsRejected,
    problems,
  });

  const skippedDocuments = source.skipped();
  const ageUnknown = items.filter((i) => i.created === undefined).length;
  return {
    snapshot: {
      takenAt: clock.now().toISOString(),
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      items,
    },
    counts: {
      pages,
      buckets: bucketCount,
      documents,
      items: items.length,
      merged,
      invalid: invalid.count,
      skippedDocuments: skippedDocuments.count,
      outsideWindow: source.outsideWindow?.(),
      unresolved: unresolved.count,
      ageUnknown,
      registriesDown: registriesDown.length,
      ownerLabelsRejected: ownerLabelsRejected.count,
      owners: ownerCounts,
    },
    invalid,
    skippedDocuments,
    unresolved,
    registriesDown,
    ownerLabelsRejected,
    partialShards,
    problems,
  };
}

/** Every page of the source, as image partials; shard failures summed over pages. */
async function readPages(
  source: InventorySource,
  query: InventoryQuery,
  invalid: InventoryResult['invalid'],
): Promise<{
  pages: number;
  bucketCount: number;
  documents: number;
  partialShards: ShardFailures | undefined;
  partials: ImagePartial[];
}> {
  let pages = 0;
  let bucketCount = 0;
  let documents = 0;
  let partialShards: ShardFailures | undefined;
  const partials: ImagePartial[] = [];

  for await (const page of source.pages(query)) {
    pages++;
    if (page.shards) {
      partialShards ??= { total: 0, failed: 0, reasons: [] };
      partialShards.total = Math.max(partialShards.total, page.shards.total);
      partialShards.failed = Math.max(partialShards.failed, page.shards.failed);
      for (const reason of page.shards.reasons) {
        if (!partialShards.reasons.includes(reason) && partialShards.reasons.length < SAMPLE)
          partialShards.reasons.push(reason);
      }
    }
    for (const bucket of page.buckets) {
      bucketCount++;
      documents += bucket.documents;
      const partial = toPartial(bucket, invalid);
      if (partial) partials.push(partial);
    }
  }
  return { pages, bucketCount, documents, partialShards, partials };
}

/** Pings each registry once: a registry that is down costs one short timeout, not one per image. */
async function pingRegistries(
  partials: readonly ImagePartial[],
  metadata: ImageMetadata,
  options: InventoryOptions,
): Promise<{ up: Map<string, boolean>; registriesDown: string[] }> {
  const domains = [...new Set(partials.map((p) => p.ref.domain))];
  const up = new Map<string, boolean>();
  await mapBounded(domains, options.concurrency, async (domain) => {
    up.set(domain, await metadata.available(domain).catch(() => false));
  });
  const registriesDown = metadata.offline ? [] : domains.filter((d) => up.get(d) !== true).sort();
  return { up, registriesDown };
}

/** Tag -> digest, once per distinct reference; the failure reason of each that did not resolve. */
async function resolveTags(
  partials: readonly ImagePartial[],
  metadata: ImageMetadata,
  up: ReadonlyMap<string, boolean>,
  options: InventoryOptions,
): Promise<{ resolved: Map<string, string>; failures: Map<string, string> }> {
  const toResolve = new Map<string, ImageReference>();
  for (const p of partials) {
    if (p.digest !== undefined) continue;
    const ref = tagReference(p);
    toResolve.set(formatImageReference(ref), ref);
  }
  const resolved = new Map<string, string>();
  const failures = new Map<string, string>();
  const entries = [...toResolve.entries()];
  const settled = await mapBounded(
    entries,
    options.concurrency,
    async ([, ref]) => {
      if (metadata.offline) throw new Error('offline: no registry asked');
      if (up.get(ref.domain) !== true) throw new Error(`registry ${ref.domain} unreachable`);
      return metadata.resolveDigest(ref);
    },
    options.signal ? { signal: options.signal } : {},
  );
  settled.forEach((result, i) => {
    const key = (entries[i] as [string, ImageReference])[0];
    if (result.ok) resolved.set(key, result.value);
    else failures.set(key, errorMessage(result.error));
  });
  return { resolved, failures };
}

/** Merges partials by id (the digest when known, else `unresolved:<reference>`). */
function mergeByDigest(
  partials: readonly ImagePartial[],
  { resolved, failures }: { resolved: ReadonlyMap<string, string>; failures: ReadonlyMap<string, string> },
  unresolved: InventoryResult['unresolved'],
): { byId: Map<string, ImagePartial>; merged: number } {
  // The sources already fold alias digests into one image; a tag that resolves to an alias
  // joins that image.
  const aliasOf = new Map<string, string>();
  for (const p of partials) {
    if (p.digest === undefined) continue;
    for (const alias of p.aliases) if (!aliasOf.has(alias)) aliasOf.set(alias, p.digest);
  }
  const byId = new Map<string, ImagePartial>();
  let merged = 0;
  for (const p of partials) {
    let id = p.digest;
    if (id === undefined) {
      const key = formatImageReference(tagReference(p));
      const found = resolved.get(key);
      const digest = found === undefined ? undefined : (aliasOf.get(found) ?? found);
      if (digest !== undefined) p.digest = digest;
      else push(unresolved, { reference: key, reason: failures.get(key) ?? 'not resolved' });
      id = digest ?? `unresolved:${key}`;
    }
    const existing = byId.get(id);
    if (existing) {
      merge(existing, p);
      merged++;
    } else byId.set(id, p);
  }
  return { byId, merged };
}

/** Image age from the config blob, per digest, from registries that are up. */
async function readAges(
  byId: ReadonlyMap<string, ImagePartial>,
  metadata: ImageMetadata,
  up: ReadonlyMap<string, boolean>,
  options: InventoryOptions,
  logger: Logger | undefined,
): Promise<Map<ImagePartial, string>> {
  const withDigest = [...byId.values()].filter(
    (p) => p.digest !== undefined && up.get(p.ref.domain) === true,
  );
  const createdResults = await mapBounded(
    withDigest,
    options.concurrency,
    (p) => metadata.created({ ...p.ref, digest: p.digest }),
    options.signal ? { signal: options.signal } : {},
  );
  const created = new Map<ImagePartial, string>();
  createdResults.forEach((r, i) => {
    if (r.ok && r.value !== undefined) created.set(withDigest[i] as ImagePartial, r.value);
    else if (!r.ok)
      logger?.warn({ image: withDigest[i]?.ref.name, err: r.error }, 'cannot read image config');
  });
  return created;
}

/** One item per merged image, with its owner by the resolution chain (host owners looked up once). */
async function toItems(
  images: {
    byId: ReadonlyMap<string, ImagePartial>;
    created: ReadonlyMap<ImagePartial, string>;
    window: { from: Date; to: Date };
    labelKeys: readonly string[];
  },
  ports: InventoryPorts,
  options: InventoryOptions,
  report: { ownerLabelsRejected: InventoryResult['ownerLabelsRejected']; problems: string[] },
): Promise<{ items: InventoryItem[]; ownerCounts: Record<OwnerRule, number> }> {
  const { byId, created, window, labelKeys } = images;
  const { ownerLabelsRejected, problems } = report;
  // Host owners for every sample host, in one pass over the directories.
  const allHosts = [...new Set([...byId.values()].flatMap((p) => p.sampleHosts))];
  const { owners: hostOwners, errors } = await lookupHostOwners(ports.hostOwners, allHosts, options.signal);
  for (const e of errors) problems.push(`host owners from ${e.directory}: ${errorMessage(e.error)}`);

  const ownerCounts: Record<OwnerRule, number> = { label: 0, 'host-owner': 0, 'security-contact': 0 };
  const items: InventoryItem[] = [];
  for (const [id, p] of byId) {
    const candidates = labelKeys.flatMap((key) =>
      (p.labels.find((l) => l.key === key)?.values ?? []).map((value) => ({ key, value })),
    );
    const hostOwner = ownerFromHosts(p.sampleHosts, hostOwners);
    const { owner, rejected } = resolveOwner(candidates, hostOwner, options.securityContact);
    for (const r of rejected) push(ownerLabelsRejected, { repository: p.ref.name, ...r });
    ownerCounts[owner.rule]++;
    const createdAt = created.get(p);
    items.push({
      id,
      ...(p.digest !== undefined ? { digest: p.digest } : {}),
      ...(p.aliases.size > 0 ? { aliases: [...p.aliases].sort() } : {}),
      repository: p.ref.name,
      registry: p.ref.domain,
      tags: [...p.tags].sort(),
      references: [...p.references].sort(),
      hosts: { count: p.hostCount, sample: p.sampleHosts },
      containers: p.containers,
      ownerCandidates: candidates,
      owner,
      ...(hostOwner ? { hostOwner } : {}),
      firstSeen: p.firstSeen ?? window.from.toISOString(),
      lastSeen: p.lastSeen ?? window.to.toISOString(),
      ...(createdAt !== undefined ? { created: createdAt } : {}),
    });
  }
  items.sort((a, b) => b.hosts.count - a.hosts.count || (a.repository < b.repository ? -1 : 1));
  return { items, ownerCounts };
}
