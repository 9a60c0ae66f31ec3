// Registry bench: 100 tags on a local anonymous docker-registry. Compares what the runner does
// to check whether an image is current (HEAD manifest, 8 in flight) with the naive way (GET
// each full manifest, one after another), on plain loopback and through a proxy that adds
// 5 ms each way (a LAN-like 10 ms round trip), where the difference shows. Also times
// sequential HEADs to separate the effect of HEAD from that of concurrency.
import { createConnection, createServer, type Server } from 'node:net';
import { mapBounded } from '../core/concurrency.ts';
import { parseImageReference } from '../core/image-reference.ts';
import { RegistryClient } from '../core/registry/RegistryClient.ts';
import { pushManyImages } from '../tests/support/images.ts';
import { freePort } from '../tests/support/ports.ts';
import { startRegistry } from '../tests/support/registry.ts';
import { emit, line, median, ratio, timed } from './lib.ts';

const TAGS = 100;
const CONCURRENCY = 8;
const ROUNDS = 3;
const ONE_WAY_DELAY_MS = 5;

/** A TCP proxy that delays every chunk by `delayMs` in each direction (order is kept). */
async function startDelayProxy(
  targetPort: number,
  delayMs: number,
): Promise<{ host: string; server: Server }> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs));
    upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), delayMs));
    // ends and closes travel with the same delay, so no delayed chunk is cut off
    client.on('end', () => setTimeout(() => upstream.end(), delayMs));
    upstream.on('end', () => setTimeout(() => client.end(), delayMs));
    client.on('close', () => setTimeout(() => upstream.destroy(), delayMs));
    upstream.on('close', () => setTimeout(() => client.destroy(), delayMs));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${port}`, server };
}

let firstError: unknown;

async function measure(host: string, repository: string, expected: string[]) {
  const refs = expected.map((_, i) => parseImageReference(`${host}/${repository}:v${i}`));
  const client = new RegistryClient({ insecure: [host], retries: 0 });
  const check = (digests: Array<string | undefined>, what: string): void => {
    const wrong = digests.filter((d, i) => d !== expected[i]).length;
    if (wrong > 0)
      throw new Error(`${what}: ${wrong} lookups failed or gave the wrong digest`, { cause: firstError });
  };
  // warm-up: connections and the registry's caches, so no variant pays the first-request cost
  await mapBounded(refs.slice(0, CONCURRENCY), CONCURRENCY, (ref) => client.getManifest(ref));
  const times = {
    headConcurrent: [] as number[],
    headSequential: [] as number[],
    getSequential: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const head = await timed(() => mapBounded(refs, CONCURRENCY, (ref) => client.resolveDigest(ref)));
    firstError = head.result.find((r) => !r.ok);
    check(
      head.result.map((r) => (r.ok ? r.value : undefined)),
      'HEAD, concurrent',
    );
    times.headConcurrent.push(head.ms);
    const headSeq = await timed(async () => {
      const digests: string[] = [];
      for (const ref of refs) digests.push(await client.resolveDigest(ref));
      return digests;
    });
    check(headSeq.result, 'HEAD, sequential');
    times.headSequential.push(headSeq.ms);
    const get = await timed(async () => {
      const digests: string[] = [];
      for (const ref of refs) digests.push((await client.getManifest(ref)).digest);
      return digests;
    });
    check(get.result, 'GET, sequential');
    times.getSequential.push(get.ms);
  }
  return {
    headConcurrent: median(times.headConcurrent),
    headSequential: median(times.headSequential),
    getSequential: median(times.getSequential),
  };
}

function report(label: string, m: Awaited<ReturnType<typeof measure>>): void {
  line(`${label}: HEAD x${TAGS}, ${CONCURRENCY} in flight (ms)`, m.headConcurrent);
  line(`${label}: HEAD x${TAGS}, sequential (ms)`, m.headSequential);
  line(`${label}: GET manifest x${TAGS}, sequential (ms)`, m.getSequential);
  line(`${label}: sequential GET / concurrent HEAD`, ratio(m.getSequential, m.headConcurrent));
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const registry = await startRegistry({ auth: 'none' });
let proxy: Server | undefined;
try {
  const pushed = await timed(() => pushManyImages(registry, { repository: 'bench/app', count: TAGS }));
  line(`pushed ${TAGS} tags (ms)`, pushed.ms);
  const expected = pushed.result.map((p) => p.digest);
  line('rounds per figure (median reported)', ROUNDS);

  const loopback = await measure(registry.host, 'bench/app', expected);
  report('loopback', loopback);
  const delayed = await startDelayProxy(Number(registry.host.split(':')[1]), ONE_WAY_DELAY_MS);
  proxy = delayed.server;
  const lan = await measure(delayed.host, 'bench/app', expected);
  report(`+${2 * ONE_WAY_DELAY_MS} ms RTT`, lan);

  emit('registry', {
    tags: TAGS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    loopback_head_concurrent_ms: round1(loopback.headConcurrent),
    loopback_head_sequential_ms: round1(loopback.headSequential),
    loopback_get_sequential_ms: round1(loopback.getSequential),
    loopback_ratio: round2(ratio(loopback.getSequential, loopback.headConcurrent)),
    rtt_ms: 2 * ONE_WAY_DELAY_MS,
    rtt_head_concurrent_ms: round1(lan.headConcurrent),
    rtt_head_sequential_ms: round1(lan.headSequential),
    rtt_get_sequential_ms: round1(lan.getSequential),
    rtt_ratio: round2(ratio(lan.getSequential, lan.headConcurrent)),
  });
} finally {
  if (proxy) {
    const server = proxy;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await registry.stop();
}
