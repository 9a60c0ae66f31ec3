// Choosing the manifest for one platform from an index / manifest list, as `docker pull`
// does: os and architecture must match; a configured variant must match too, and without one
// an entry with no variant (or the architecture's usual one: arm64 -> v8) is preferred.
import { NotFoundError } from '../errors.ts';
import type { ImageIndex, IndexEntry, Platform } from './manifest.ts';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const USUAL_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

export function formatPlatform(p: Partial<Platform> | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');
}

/** The index entry for `platform`; NotFoundError listing the platforms the index offers. */
export function choosePlatform(index: ImageIndex, platform: Platform, source: string): IndexEntry {
  const candidates = index.manifests.filter(
    (m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture,
  );
  const wanted = platform.variant ?? USUAL_VARIANT[platform.architecture];
  const byVariant = (variant: string | undefined): IndexEntry | undefined =>
    candidates.find((m) => m.platform?.variant === variant);
  const chosen =
    platform.variant !== undefined
      ? (byVariant(platform.variant) ??
        (platform.variant === USUAL_VARIANT[platform.architecture] ? byVariant(undefined) : undefined))
      : (byVariant(undefined) ?? byVariant(wanted) ?? candidates[0]);
  if (chosen === undefined) {
    const offered = index.manifests.map((m) => formatPlatform(m.platform)).join(', ');
    throw new NotFoundError(
      `${source}: no manifest for ${formatPlatform(platform)} (index offers: ${offered || 'none'})`,
    );
  }
  return chosen;
}
