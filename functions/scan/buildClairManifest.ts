// Builds the manifest Clair indexes from the registry: the platform manifest's digest (the
// inventory digest may name a multi-arch index), its layers in stacking order, each with a
// URL Clair can GET itself (redirects already followed) and the registry credentials it must
// send. Registry tokens are short-lived, so callers submit the result right away.
import { type ImageReference, registryApiHost } from '../../core/image-reference.ts';
import type { ClairManifest } from './ClairReports.ts';
import type { ManifestSource } from './ManifestSource.ts';

export interface BuiltManifest {
  manifest: ClairManifest;
  /** The digest Clair knows the image by (the platform manifest). */
  manifestHash: string;
  /** Set when the inventory digest is an index. */
  indexDigest?: string;
}

export async function buildClairManifest(
  ref: ImageReference,
  source: ManifestSource,
): Promise<BuiltManifest> {
  const resolved = await source.resolvePlatformManifest(ref);
  const apiHost = registryApiHost(ref.domain);
  let authorization: string | undefined;
  let authorizationAsked = false;
  const layers: ClairManifest['layers'] = [];
  for (const layer of resolved.manifest.layers) {
    const location = await source.resolveBlobLocation(ref.domain, ref.path, layer.digest);
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(location.headers)) headers[name] = [value];
    const hasAuth = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
    // Registry credentials go only to the registry itself: a redirect target such as a
    // pre-signed S3 URL refuses requests that also carry an Authorization header.
    if (!hasAuth && new URL(location.url).host === apiHost) {
      if (!authorizationAsked) {
        authorization = await source.authorization(ref.domain, ref.path);
        authorizationAsked = true;
      }
      if (authorization) headers.Authorization = [authorization];
    }
    layers.push({
      hash: layer.digest,
      uri: location.url,
      headers,
      ...(layer.mediaType ? { media_type: layer.mediaType } : {}),
    });
  }
  return {
    manifest: { hash: resolved.digest, layers },
    manifestHash: resolved.digest,
    ...(resolved.indexDigest && resolved.indexDigest !== resolved.digest
      ? { indexDigest: resolved.indexDigest }
      : {}),
  };
}
