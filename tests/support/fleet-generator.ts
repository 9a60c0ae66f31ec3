// A generated fleet of container documents (ECS field names), produced lazily and
// deterministically from an index: document i is computed on demand, so a million documents
// cost no memory until something reads them. Used by the Elasticsearch fake in tests and in
// the inventory benchmark.

export interface DocumentSet {
  readonly size: number;
  get(index: number): Record<string, unknown>;
}

export interface FleetOptions {
  hosts: number;
  documents: number;
  images: number;
  /** Newest report time; documents spread over `spanMs` before it. */
  asOf: Date;
  spanMs: number;
  /** Every nth image has no owner label (0: all have one). */
  unownedEvery?: number;
  /** Every nth image comes from an unapproved registry (0: none). */
  foreignEvery?: number;
  /** Every nth image is reported without a digest (0: none). */
  tagOnlyEvery?: number;
}

/** A small integer hash, so the spread looks random but is reproducible. */
export function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function hex64(n: number): string {
  let out = '';
  for (let i = 0; out.length < 64; i++)
    out += mix(n * 31 + i)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, 64);
}

export function imageDigest(image: number): string {
  return `sha256:${hex64(image + 1_000_003)}`;
}

export function imageName(image: number, options: Pick<FleetOptions, 'foreignEvery'>): string {
  const foreign = options.foreignEvery && image % options.foreignEvery === 0;
  return foreign
    ? `docker.io/team${image % 37}/app${image}`
    : `harbor.example.org/team${image % 37}/app${image}`;
}

export function hostName(host: number): string {
  return `node${String(host).padStart(5, '0')}.example.org`;
}

/** A container id: 64 hex characters, unique per container, cheap to compute. */
export function containerId(container: number): string {
  return `${mix(container).toString(16).padStart(8, '0')}${container.toString(16).padStart(56, '0')}`;
}

export function fleetDocuments(options: FleetOptions): DocumentSet {
  const containers = Math.max(1, Math.floor(options.documents / 2));
  const end = options.asOf.getTime();
  return {
    size: options.documents,
    get(index: number): Record<string, unknown> {
      // Each container reports twice (hourly reports over a two-hour window).
      const container = index % containers;
      const image = mix(container) % options.images;
      const host = mix(container + 7) % options.hosts;
      const tagOnly = options.tagOnlyEvery && image % options.tagOnlyEvery === 0;
      const unowned = options.unownedEvery && image % options.unownedEvery === 0;
      const at = end - (mix(index + 3) % options.spanMs);
      return {
        '@timestamp': new Date(at).toISOString(),
        host: { name: hostName(host) },
        container: {
          id: containerId(container),
          name: `app${image}-${container}`,
          runtime: 'docker',
          image: {
            name: imageName(image, options),
            tag: [`1.${image % 5}`],
            ...(tagOnly ? {} : { hash: { all: [imageDigest(image)] } }),
          },
          labels: unowned
            ? { app: `app${image}` }
            : { app: `app${image}`, owner: `team${image % 37}@example.org` },
        },
      };
    },
  };
}

export function arrayDocuments(docs: Record<string, unknown>[]): DocumentSet {
  return { size: docs.length, get: (i) => docs[i] as Record<string, unknown> };
}
