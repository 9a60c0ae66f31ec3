// The part of the registry client the scan step needs to build a Clair manifest. It is a
// structural subset of core/registry's RegistryClient, so the client is passed as is; tests
// pass a fake.
import type { ImageReference } from '../../core/image-reference.ts';

export interface ManifestLayer {
  digest: string;
  mediaType?: string;
  size?: number;
}

export interface ManifestSource {
  /** Picks the configured platform from an index; `indexDigest` is set when `ref` named an index. */
  resolvePlatformManifest(
    ref: ImageReference,
  ): Promise<{ indexDigest?: string; digest: string; manifest: { layers: readonly ManifestLayer[] } }>;
  /** Follows redirects with `Range: bytes=0-0` as clairctl does; the final URL and headers to send. */
  resolveBlobLocation(
    domain: string,
    path: string,
    digest: string,
  ): Promise<{ url: string; headers: Record<string, string> }>;
  /** The `Authorization` header value a third party must send to fetch blobs, if any. */
  authorization(domain: string, path: string, scope?: string): Promise<string | undefined>;
}
