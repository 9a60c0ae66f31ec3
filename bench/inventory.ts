// Inventory from Elasticsearch: composite aggregation (only unique images cross the wire) vs
// the baseline of scrolling every container document and grouping on the client.
// Fleet: 10,000 hosts, 1,000,000 documents, 2,000 unique images, generated lazily inside the
// Elasticsearch fake, which runs in its own process; each client side runs in its own child
// process so its peak RSS (process.resourceUsage().maxRSS) is its own. Bytes received are
// counted at the fake's sockets (bytes written to the client) and read over IPC.
// The children run an esbuild bundle of this file with plain node (as the Lambda bundle runs),
// so neither side pays for the tsx loader. For context it also prints the peak RSS of a Node
// process that loads nothing, the floor under any client written in Node.
//   roles: (none) orchestrator | fake | composite | scroll
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../core/clock.ts';
import { createElasticsearchClient } from '../core/elasticsearch/client.ts';
import { buildInventory } from '../functions/inventory/buildInventory.ts';
import { ElasticsearchSource } from '../functions/inventory/ElasticsearchSource.ts';
import { timeRange } from '../functions/inventory/esQuery.ts';
import { offlineImageMetadata } from '../functions/inventory/ImageMetadata.ts';
import { ECS_FIELDS } from '../functions/inventory/InventorySource.ts';
import { startElasticsearchFake } from '../tests/support/elasticsearch-fake.ts';
import { fleetDocuments } from '../tests/support/fleet-generator.ts';
import { emit, line, ratio } from './lib.ts';

const HOSTS = 10_000;
const DOCUMENTS = 1_000_000;
const IMAGES = 2_000;
const AS_OF = new Date('2026-11-24T12:00:00Z');
const LOOKBACK_MS = 2 * 3_600_000;
const INDEX = 'metricbeat-*';
const SCROLL_PAGE = 10_000;

interface ClientFigures {
  ms: number;
  /** CPU time of the client process (user + system), less sensitive to a busy machine. */
  cpuMs: number;
  maxRssMb: number;
  /** RSS once the code is loaded, before any request: the runtime's floor. */
  loadedRssMb: number;
  images: number;
  documents: number;
}

const loadedRssMb = process.memoryUsage().rss / 1024 / 1024;
const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Child: the Elasticsearch fake over the generated fleet, answering byte counts over IPC. */
async function runFake(): Promise<void> {
  const fake = await startElasticsearchFake({
    documents: fleetDocuments({
      hosts: HOSTS,
      documents: DOCUMENTS,
      images: IMAGES,
      asOf: AS_OF,
      spanMs: LOOKBACK_MS - 1,
    }),
    now: () => AS_OF,
  });
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'reset') fake.resetBytes();
    if (msg.cmd === 'reset' || msg.cmd === 'bytes') {
      process.send?.({ bytes: fake.bytesSent(), problems: fake.problems });
    }
    if (msg.cmd === 'stop') void fake.stop().then(() => process.exit(0));
  });
  process.send?.({ url: fake.url });
}

/** Child: the real inventory step (composite aggregation pages), registry lookups off. */
async function runComposite(url: string): Promise<ClientFigures> {
  const start = performance.now();
  const source = new ElasticsearchSource({
    client: createElasticsearchClient({ node: url, requestTimeoutMs: 120_000 }),
    host: url,
    index: INDEX,
    fields: ECS_FIELDS,
    pageSize: 1000,
    maxRetries: 0,
    clock: new ManualClock(AS_OF),
  });
  const result = await buildInventory(
    { source, metadata: offlineImageMetadata, hostOwners: [], clock: new ManualClock(AS_OF) },
    {
      lookbackMs: LOOKBACK_MS,
      asOf: AS_OF,
      labelKeys: ['owner', 'org.opencontainers.image.authors', 'maintainer'],
      securityContact: 'security@example.org',
      concurrency: 8,
    },
  );
  return {
    ms: performance.now() - start,
    cpuMs: cpuMs(),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    loadedRssMb,
    images: result.snapshot.items.length,
    documents: result.counts.documents,
  };
}

interface Group {
  hosts: Set<string>;
  containers: Set<string>;
  tags: Map<string, number>;
  owners: Map<string, number>;
  first: string;
  last: string;
  documents: number;
}

/** Child: the baseline, every document over scroll, grouped on the client with exact counts. */
async function runScroll(url: string): Promise<ClientFigures> {
  const start = performance.now();
  const client = createElasticsearchClient({ node: url, requestTimeoutMs: 120_000 });
  const groups = new Map<string, Group>();
  let documents = 0;
  type Hit = { _source?: Record<string, unknown> };
  let response = await client.search<Record<string, unknown>>({
    index: INDEX,
    scroll: '1m',
    size: SCROLL_PAGE,
    sort: ['_doc'],
    query: { bool: { filter: [{ range: { '@timestamp': timeRange(LOOKBACK_MS, AS_OF) } }] } },
  });
  const scrollIds = new Set<string>();
  for (;;) {
    const hits = response.hits.hits as Hit[];
    if (response._scroll_id) scrollIds.add(response._scroll_id);
    if (hits.length === 0) break;
    for (const hit of hits) {
      const doc = hit._source as {
        '@timestamp': string;
        host: { name: string };
        container: {
          id: string;
          image: { name: string; tag?: string[]; hash?: { all?: string[] } };
          labels?: Record<string, string>;
        };
      };
      documents++;
      const key = `${doc.container.image.name}|${doc.container.image.hash?.all?.[0] ?? ''}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          hosts: new Set(),
          containers: new Set(),
          tags: new Map(),
          owners: new Map(),
          first: doc['@timestamp'],
          last: doc['@timestamp'],
          documents: 0,
        };
        groups.set(key, group);
      }
      group.documents++;
      group.hosts.add(doc.host.name);
      group.containers.add(doc.container.id);
      for (const tag of doc.container.image.tag ?? []) group.tags.set(tag, (group.tags.get(tag) ?? 0) + 1);
      const owner = doc.container.labels?.owner;
      if (owner) group.owners.set(owner, (group.owners.get(owner) ?? 0) + 1);
      if (doc['@timestamp'] < group.first) group.first = doc['@timestamp'];
      if (doc['@timestamp'] > group.last) group.last = doc['@timestamp'];
    }
    response = await client.scroll<Record<string, unknown>>({
      scroll_id: response._scroll_id as string,
      scroll: '1m',
    });
  }
  await client.clearScroll({ scroll_id: [...scrollIds] });
  return {
    ms: performance.now() - start,
    cpuMs: cpuMs(),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    loadedRssMb,
    images: groups.size,
    documents,
  };
}

let bundle = '';

/** Peak RSS of a Node process that loads nothing: the floor under any client written in Node. */
function bareNodeRssMb(): number {
  const out = execFileSync(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS)'], {
    encoding: 'utf8',
  });
  return Number(out.trim()) / 1024;
}

async function bundleSelf(dir: string): Promise<void> {
  bundle = join(dir, 'inventory-bench.mjs');
  // Imported here only: the bundle's children never load esbuild.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    external: ['esbuild'],
  });
}

function child(role: string, url?: string): ChildProcess {
  return fork(bundle, [role], {
    execArgv: [],
    env: { ...process.env, ...(url ? { BENCH_ES_URL: url } : {}) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
}

function ask<T>(proc: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    proc.once('message', (msg) => resolve(msg as T));
    proc.send({ cmd });
  });
}

async function runClient(role: 'composite' | 'scroll', url: string): Promise<ClientFigures> {
  const proc = child(role, url);
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`${role} client exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as ClientFigures;
}

async function orchestrate(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-bench-inventory-'));
  await bundleSelf(dir);
  const fake = child('fake');
  try {
    const { url } = await new Promise<{ url: string }>((resolve) =>
      fake.once('message', (m) => resolve(m as { url: string })),
    );
    line('fleet', `${HOSTS} hosts, ${DOCUMENTS} documents, ${IMAGES} images (fake in its own process)`);

    await ask(fake, 'reset');
    const composite = await runClient('composite', url);
    const compositeBytes = (await ask<{ bytes: number; problems: string[] }>(fake, 'bytes')).bytes;
    // Again with the fake's aggregation cached: what the client and the wire cost on their own
    // (the cold run includes the fake aggregating 1M documents single-threaded in JavaScript).
    const warm = await runClient('composite', url);

    await ask(fake, 'reset');
    const scroll = await runClient('scroll', url);
    const scrolled = await ask<{ bytes: number; problems: string[] }>(fake, 'bytes');
    if (scrolled.problems.length > 0) throw new Error(`fake problems: ${scrolled.problems.join('; ')}`);
    if (composite.images !== IMAGES || scroll.images !== IMAGES || composite.documents !== scroll.documents) {
      throw new Error(`sides disagree: ${JSON.stringify({ composite, scroll })}`);
    }

    const above = (f: ClientFigures): number => Math.max(0, f.maxRssMb - f.loadedRssMb);
    // Context for the RSS target: what a Node process costs before it runs any of our code.
    const bareNodeMb = bareNodeRssMb();
    line('composite: wall time (ms)', composite.ms);
    line('composite: wall time, fake aggregation cached (ms)', warm.ms);
    line('composite: client CPU (ms)', composite.cpuMs);
    line('composite: client peak RSS (MB)', composite.maxRssMb);
    line('composite: client RSS after load (MB)', composite.loadedRssMb);
    line('composite: bytes received', compositeBytes);
    line('scroll baseline: wall time (ms)', scroll.ms);
    line('scroll baseline: client CPU (ms)', scroll.cpuMs);
    line('scroll baseline: client peak RSS (MB)', scroll.maxRssMb);
    line('scroll baseline: client RSS after load (MB)', scroll.loadedRssMb);
    line('scroll baseline: bytes received', scrolled.bytes);
    line('node 20 alone, empty script: peak RSS (MB)', bareNodeMb);
    line('0.1 of the baseline peak RSS (MB)', scroll.maxRssMb / 10);
    const bytesRatio = ratio(compositeBytes, scrolled.bytes);
    const rssRatio = ratio(composite.maxRssMb, scroll.maxRssMb);
    const workingRatio = ratio(above(composite), above(scroll));
    line('bytes ratio composite/baseline (target <= 0.01)', bytesRatio);
    line('peak RSS ratio composite/baseline (target <= 0.1)', rssRatio);
    line('peak RSS above load ratio composite/baseline', workingRatio);
    line('wall time ratio composite/baseline', ratio(composite.ms, scroll.ms));
    line('client CPU ratio composite/baseline', ratio(composite.cpuMs, scroll.cpuMs));
    const figures = (f: ClientFigures, bytes: number) => ({
      ms: Math.round(f.ms),
      cpuMs: Math.round(f.cpuMs),
      peakRssMb: Math.round(f.maxRssMb),
      loadedRssMb: Math.round(f.loadedRssMb),
      bytes,
    });
    emit('inventory', {
      hosts: HOSTS,
      documents: DOCUMENTS,
      images: IMAGES,
      composite: { ...figures(composite, compositeBytes), warmMs: Math.round(warm.ms) },
      scroll: figures(scroll, scrolled.bytes),
      bareNodeRssMb: Math.round(bareNodeMb),
      bytesRatio: Number(bytesRatio.toFixed(5)),
      peakRssRatio: Number(rssRatio.toFixed(3)),
      peakRssAboveLoadRatio: Number(workingRatio.toFixed(3)),
      bytesTargetMet: bytesRatio <= 0.01,
      peakRssTargetMet: rssRatio <= 0.1,
    });
  } finally {
    if (fake.exitCode === null) {
      fake.send({ cmd: 'stop' });
      await new Promise((resolve) => fake.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
const url = process.env.BENCH_ES_URL ?? '';
if (role === 'fake') await runFake();
else if (role === 'composite') console.log(JSON.stringify(await runComposite(url)));
else if (role === 'scroll') console.log(JSON.stringify(await runScroll(url)));
else await orchestrate();
