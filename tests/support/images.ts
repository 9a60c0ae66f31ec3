// Test images without a Dockerfile. Images are pushed straight through the registry API
// (blob upload POST+PUT, config JSON with `created` and labels, manifest PUT), which is fast
// and lets tests choose `created`; multi-arch indexes too. importImage() builds one inside a
// dockerd with `docker import` from a rootfs tar written here (ustar is a simple format).
import { createHash, randomBytes } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { Agent, fetch as undiciFetch } from 'undici';
import { mapBounded } from '../../core/concurrency.ts';
import { readCaBundle } from '../../core/registry/caBundle.ts';
import { type Dockerd, docker } from './dockerd.ts';
import type { TestRegistry } from './registry.ts';

export interface TarEntry {
  name: string;
  content: string | Uint8Array;
  mode?: number;
}

function tarHeader(name: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(512, 0);
  const field = (value: string, offset: number, length: number): void => {
    header.write(value, offset, length, 'utf8');
  };
  const octal = (value: number, length: number): string => `${value.toString(8).padStart(length - 1, '0')}\0`;
  field(name, 0, 100);
  field(octal(mode, 8), 100, 8);
  field(octal(0, 8), 108, 8); // uid
  field(octal(0, 8), 116, 8); // gid
  field(octal(size, 12), 124, 12);
  field(octal(0, 12), 136, 12); // mtime: fixed, so equal content gives equal digests
  field('        ', 148, 8); // checksum placeholder (spaces) while summing
  field('0', 156, 1); // regular file
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** A POSIX ustar archive of regular files (names up to 100 bytes). */
export function makeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar entry name too long: ${entry.name}`);
    const content = Buffer.from(entry.content);
    parts.push(tarHeader(entry.name, content.length, entry.mode ?? 0o644), content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

export const sha256 = (data: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface Layer {
  gz: Buffer;
  digest: string;
  diffId: string;
}

export function makeLayer(entries: readonly TarEntry[]): Layer {
  const tar = makeTar(entries);
  const gz = gzipSync(tar);
  return { gz, digest: sha256(gz), diffId: sha256(tar) };
}

const MEDIA = {
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
} as const;
export type ManifestFormat = keyof typeof MEDIA;

/**
 * A full fetch (bodies, redirects) trusting a TLS test registry's CA, for pushing: undici's, the
 * implementation behind Node's global fetch, which takes a CA through its Agent. (The product's
 * registry client reads through core/registry/trustingFetch.ts, a narrower one over node:https.)
 */
function pushingFetch(cas: readonly string[]): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...cas] } });
  const trusting = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  return trusting as unknown as typeof fetch;
}

/** Minimal authenticated access to a test registry (anonymous, Basic, or Bearer via the realm). */
class RegistryApi {
  private readonly tokens = new Map<string, string>();
  // a TLS test registry's certificate comes from its own CA
  private readonly fetch: typeof fetch;
  constructor(private readonly registry: Pick<TestRegistry, 'url' | 'username' | 'password' | 'caFile'>) {
    this.fetch = registry.caFile ? pushingFetch(readCaBundle(registry.caFile)) : globalThis.fetch;
  }

  private basic(): string | undefined {
    const { username, password } = this.registry;
    return username === undefined
      ? undefined
      : `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  }

  async request(repository: string, pathOrUrl: string, init: RequestInit = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.registry.url}${pathOrUrl}`;
    const scope = `repository:${repository}:pull,push,delete`;
    const send = (authorization: string | undefined): Promise<Response> =>
      this.fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) },
      });
    let res = await send(this.tokens.get(scope) ?? this.tokens.get('basic'));
    if (res.status !== 401) return res;
    await res.arrayBuffer();
    const challenge = res.headers.get('www-authenticate') ?? '';
    if (/^basic/i.test(challenge)) {
      this.tokens.set('basic', this.basic() ?? '');
      res = await send(this.basic());
    } else {
      const params = Object.fromEntries(
        [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
      );
      const tokenUrl = new URL(params.realm ?? '');
      if (params.service) tokenUrl.searchParams.set('service', params.service);
      tokenUrl.searchParams.set('scope', scope);
      const basic = this.basic();
      const tokenRes = await this.fetch(tokenUrl, basic ? { headers: { authorization: basic } } : {});
      const body = (await tokenRes.json()) as { token?: string; access_token?: string };
      const token = `Bearer ${body.token ?? body.access_token}`;
      this.tokens.set(scope, token);
      res = await send(token);
    }
    return res;
  }

  async expect(repository: string, path: string, init: RequestInit, status: number): Promise<Response> {
    const res = await this.request(repository, path, init);
    if (res.status !== status) {
      throw new Error(
        `${init.method ?? 'GET'} ${path}: expected ${status}, got ${res.status}: ${await res.text()}`,
      );
    }
    return res;
  }

  async uploadBlob(repository: string, blob: Uint8Array, digest = sha256(blob)): Promise<string> {
    const head = await this.request(repository, `/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
    if (head.status === 200) return digest;
    const start = await this.expect(repository, `/v2/${repository}/blobs/uploads/`, { method: 'POST' }, 202);
    await start.arrayBuffer();
    const location = new URL(start.headers.get('location') ?? '', this.registry.url);
    location.searchParams.set('digest', digest);
    const put = await this.expect(
      repository,
      location.toString(),
      { method: 'PUT', body: new Uint8Array(blob), headers: { 'content-type': 'application/octet-stream' } },
      201,
    );
    await put.arrayBuffer();
    return digest;
  }

  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<string> {
    const res = await this.expect(
      repository,
      `/v2/${repository}/manifests/${reference}`,
      { method: 'PUT', body: new Uint8Array(bytes), headers: { 'content-type': mediaType } },
      201,
    );
    await res.arrayBuffer();
    return sha256(bytes);
  }
}

export interface ImageSpec {
  repository: string;
  tag?: string;
  created?: string;
  labels?: Record<string, string>;
  os?: string;
  architecture?: string;
  variant?: string;
  files?: TarEntry[];
  format?: ManifestFormat;
  /** The image's default command (default: `/hello.txt`, which never runs). */
  cmd?: string[];
}

export interface PushedImage {
  /** `host/repository:tag` (or `@digest` when no tag). */
  reference: string;
  digest: string;
  mediaType: string;
  configDigest: string;
  size: number;
}

const DEFAULT_FILES: TarEntry[] = [{ name: 'hello.txt', content: 'hello from imagewarden tests\n' }];

async function pushWith(api: RegistryApi, host: string, spec: ImageSpec): Promise<PushedImage> {
  const media = MEDIA[spec.format ?? 'docker'];
  const layer = makeLayer(spec.files ?? DEFAULT_FILES);
  const config = Buffer.from(
    JSON.stringify({
      created: spec.created ?? '2026-01-01T00:00:00Z',
      architecture: spec.architecture ?? 'amd64',
      os: spec.os ?? 'linux',
      ...(spec.variant ? { variant: spec.variant } : {}),
      config: { Labels: spec.labels ?? {}, Cmd: spec.cmd ?? ['/hello.txt'] },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created: spec.created ?? '2026-01-01T00:00:00Z', created_by: 'imagewarden tests' }],
    }),
  );
  await api.uploadBlob(spec.repository, layer.gz, layer.digest);
  const configDigest = await api.uploadBlob(spec.repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: media.manifest,
      config: { mediaType: media.config, size: config.length, digest: configDigest },
      layers: [{ mediaType: media.layer, size: layer.gz.length, digest: layer.digest }],
    }),
  );
  const digest = await api.putManifest(
    spec.repository,
    spec.tag ?? sha256(manifest),
    media.manifest,
    manifest,
  );
  return {
    reference: `${host}/${spec.repository}${spec.tag ? `:${spec.tag}` : `@${digest}`}`,
    digest,
    mediaType: media.manifest,
    configDigest,
    size: manifest.length,
  };
}

/** Pushes one single-platform image (one small layer) and returns its manifest digest. */
export function pushImage(registry: TestRegistry, spec: ImageSpec): Promise<PushedImage> {
  return pushWith(new RegistryApi(registry), registry.host, spec);
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
  labels?: Record<string, string>;
  created?: string;
}

export interface PushedIndex {
  reference: string;
  digest: string;
  mediaType: string;
  manifests: Array<{ platform: PlatformSpec; digest: string }>;
}

/** Pushes one image per platform (by digest) and an index / manifest list naming them under `tag`. */
export async function pushIndex(
  registry: TestRegistry,
  spec: { repository: string; tag: string; platforms: PlatformSpec[]; format?: ManifestFormat },
): Promise<PushedIndex> {
  const api = new RegistryApi(registry);
  const format = spec.format ?? 'docker';
  const manifests: PushedIndex['manifests'] = [];
  const entries: unknown[] = [];
  for (const platform of spec.platforms) {
    const pushed = await pushWith(api, registry.host, {
      repository: spec.repository,
      format,
      ...platform,
      files: [
        {
          name: 'platform.txt',
          content: `${platform.os}/${platform.architecture}/${platform.variant ?? ''}\n`,
        },
      ],
    });
    manifests.push({ platform, digest: pushed.digest });
    entries.push({
      mediaType: pushed.mediaType,
      size: pushed.size,
      digest: pushed.digest,
      platform: {
        os: platform.os,
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
      },
    });
  }
  const mediaType = MEDIA[format].index;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }));
  const digest = await api.putManifest(spec.repository, spec.tag, mediaType, bytes);
  return { reference: `${registry.host}/${spec.repository}:${spec.tag}`, digest, mediaType, manifests };
}

/**
 * Pushes `count` small images fast: one shared layer, a config per image (its own label, so
 * every tag has its own digest), `concurrency` uploads at a time. Tags are `<tagPrefix><i>`.
 */
export async function pushManyImages(
  registry: TestRegistry,
  spec: {
    repository: string | ((i: number) => string);
    count: number;
    tagPrefix?: string;
    concurrency?: number;
    /** Files of image i (default: one tiny shared file); use randomFile() for sized layers. */
    files?: (i: number) => TarEntry[];
    labels?: (i: number) => Record<string, string>;
  },
): Promise<PushedImage[]> {
  const api = new RegistryApi(registry);
  const repo = (i: number): string =>
    typeof spec.repository === 'function' ? spec.repository(i) : spec.repository;
  const indexes = Array.from({ length: spec.count }, (_, i) => i);
  const settled = await mapBounded(indexes, spec.concurrency ?? 8, (i) =>
    pushWith(api, registry.host, {
      repository: repo(i),
      tag: `${spec.tagPrefix ?? 'v'}${i}`,
      labels: spec.labels?.(i) ?? { 'imagewarden.test/index': String(i) },
      ...(spec.files ? { files: spec.files(i) } : {}),
    }),
  );
  return settled.map((s, i) => {
    if (!s.ok) throw new Error(`pushing image ${i} failed`, { cause: s.error });
    return s.value;
  });
}

/** A file of `bytes` random (incompressible) bytes, for layers of a realistic size. */
export function randomFile(name: string, bytes: number): TarEntry {
  return { name, content: randomBytes(bytes) };
}

/** Deletes a manifest by digest (the test registries have deletes enabled); its tags go with it. */
export async function deleteManifest(
  registry: TestRegistry,
  repository: string,
  digest: string,
): Promise<void> {
  const res = await new RegistryApi(registry).expect(
    repository,
    `/v2/${repository}/manifests/${digest}`,
    { method: 'DELETE' },
    202,
  );
  await res.arrayBuffer();
}

/** Builds an image inside `daemon` with `docker import` (labels via --change) and tags it `reference`. */
export async function importImage(
  daemon: Pick<Dockerd, 'dockerHost' | 'configDir'>,
  reference: string,
  options: { labels?: Record<string, string>; files?: TarEntry[] } = {},
): Promise<string> {
  const tar = makeTar(options.files ?? DEFAULT_FILES);
  const changes = Object.entries(options.labels ?? {}).flatMap(([k, v]) => [
    '--change',
    `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`,
  ]);
  const { stdout } = await docker(daemon, ['import', ...changes, '-', reference], { input: tar });
  return stdout.trim();
}
