// Synthetic images for unit tests and the bench, next to the Clair v4 fake (clair-fake.ts):
// layer blobs served by a tiny HTTP server (optionally demanding an Authorization header,
// optionally redirecting like a registry that hands out storage URLs) and a ManifestSource
// over them, so Clair's layer fetches are real HTTP without a registry process.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BlobServer {
  url: string;
  /** Stores a blob and returns its digest. */
  add(content: Buffer): string;
  /** GETs per path. */
  fetches: number;
  stop(): Promise<void>;
}

export async function startBlobServer(
  options: { authorization?: string; redirect?: boolean } = {},
): Promise<BlobServer> {
  const blobs = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://blob');
    const storage = url.pathname.startsWith('/storage/');
    const digest = url.pathname.split('/').pop() ?? '';
    if (!storage && options.authorization && req.headers.authorization !== options.authorization) {
      res.writeHead(401).end();
      return;
    }
    if (!storage && options.redirect) {
      res.writeHead(307, { location: `/storage/${digest}` }).end();
      return;
    }
    blobs_.fetches++;
    const blob = blobs.get(digest);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      res.writeHead(206, { 'content-range': `bytes ${range[1]}-${range[2]}/${blob.length}` });
      res.end(blob.subarray(Number(range[1]), Number(range[2]) + 1));
      return;
    }
    res.writeHead(200, { 'content-length': blob.length }).end(blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const blobs_: BlobServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    add: (content) => {
      const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      blobs.set(digest, content);
      return digest;
    },
    fetches: 0,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return blobs_;
}

/** Images keyed by digest with their layers on a BlobServer; implements the scan step's ManifestSource. */
export class SyntheticImages {
  readonly #blobs: BlobServer;
  readonly #authorization: string | undefined;
  readonly #images = new Map<string, { layers: string[]; platform?: string }>();
  calls = { resolvePlatformManifest: 0, resolveBlobLocation: 0, authorization: 0 };

  constructor(blobs: BlobServer, authorization?: string) {
    this.#blobs = blobs;
    this.#authorization = authorization;
  }

  /** An image whose layers are tars carrying `packages.txt` lines; returns its manifest digest. */
  addImage(layers: Buffer[], salt = ''): string {
    const digests = layers.map((l) => this.#blobs.add(l));
    const digest = `sha256:${createHash('sha256')
      .update(`${digests.join(',')}|${salt}`)
      .digest('hex')}`;
    this.#images.set(digest, { layers: digests });
    return digest;
  }

  /** A multi-arch index pointing at `platformDigest`; returns the index digest. */
  addIndex(platformDigest: string): string {
    const digest = `sha256:${createHash('sha256').update(`index|${platformDigest}`).digest('hex')}`;
    this.#images.set(digest, { layers: [], platform: platformDigest });
    return digest;
  }

  async resolvePlatformManifest(ref: { digest: string | undefined }): Promise<{
    indexDigest?: string;
    digest: string;
    manifest: { layers: { digest: string; mediaType: string }[] };
  }> {
    this.calls.resolvePlatformManifest++;
    const top = this.#images.get(ref.digest ?? '');
    if (!top) throw new Error(`manifest ${ref.digest} not found`);
    const digest = top.platform ?? (ref.digest as string);
    const image = this.#images.get(digest);
    if (!image) throw new Error(`manifest ${digest} not found`);
    const layers = image.layers.map((d) => ({
      digest: d,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    }));
    return { ...(top.platform ? { indexDigest: ref.digest as string } : {}), digest, manifest: { layers } };
  }

  async resolveBlobLocation(
    _domain: string,
    _path: string,
    digest: string,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    this.calls.resolveBlobLocation++;
    return { url: `${this.#blobs.url}/v2/blobs/${digest}`, headers: {} };
  }

  async authorization(): Promise<string | undefined> {
    this.calls.authorization++;
    return this.#authorization;
  }
}
