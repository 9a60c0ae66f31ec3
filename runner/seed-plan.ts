// Pull planning: is a desired image already in the local store at the digest the registry
// serves? Local RepoTags/RepoDigests are printed in Docker's familiar form, so both sides
// are normalised through the image reference parser before comparing.
import {
  formatImageReference,
  type ImageReference,
  tryParseImageReference,
} from '../core/image-reference.ts';
import type { LocalImage } from './runtime/ImageRuntime.ts';

export interface LocalIndex {
  /** Canonical `name@digest` of every RepoDigest. */
  digests: Set<string>;
  /** Canonical `name:tag` -> the image carrying that tag. */
  tags: Map<string, LocalImage>;
}

export function indexLocalImages(images: readonly LocalImage[]): LocalIndex {
  const digests = new Set<string>();
  const tags = new Map<string, LocalImage>();
  for (const image of images) {
    for (const repoDigest of image.repoDigests) {
      const parsed = tryParseImageReference(repoDigest);
      if (parsed.ok && parsed.ref.digest) digests.add(`${parsed.ref.name}@${parsed.ref.digest}`);
    }
    for (const repoTag of image.repoTags) {
      const parsed = tryParseImageReference(repoTag);
      if (parsed.ok && parsed.ref.tag) tags.set(`${parsed.ref.name}:${parsed.ref.tag}`, image);
    }
  }
  return { digests, tags };
}

/** Digests (`sha256:...`) the local image tagged `ref` was pulled as. */
export function localDigestsOfTag(index: LocalIndex, ref: ImageReference): string[] {
  const image = index.tags.get(`${ref.name}:${ref.tag ?? 'latest'}`);
  if (!image) return [];
  return image.repoDigests.flatMap((repoDigest) => {
    const parsed = tryParseImageReference(repoDigest);
    return parsed.ok && parsed.ref.name === ref.name && parsed.ref.digest ? [parsed.ref.digest] : [];
  });
}

export type PlanStep =
  | { action: 'present'; digest: string; why: string }
  | { action: 'pull'; pullReference: string; digest: string | undefined; why: string };

/** A digest-pinned reference needs no network: present locally or pull by digest. */
export function planPinned(ref: ImageReference, index: LocalIndex): PlanStep {
  const digest = ref.digest as string;
  if (index.digests.has(`${ref.name}@${digest}`)) {
    return { action: 'present', digest, why: 'digest-pinned and present locally' };
  }
  return {
    action: 'pull',
    pullReference: `${ref.name}@${digest}`,
    digest,
    why: 'digest-pinned and not present locally',
  };
}

/** A tag, once its current digest is known from one HEAD. */
export function planTag(ref: ImageReference, remoteDigest: string, index: LocalIndex): PlanStep {
  const local = localDigestsOfTag(index, ref);
  const reference = formatImageReference(ref);
  if (local.includes(remoteDigest)) {
    return { action: 'present', digest: remoteDigest, why: 'tag present locally at the registry digest' };
  }
  return {
    action: 'pull',
    pullReference: reference,
    digest: remoteDigest,
    why:
      local.length === 0
        ? 'not present locally'
        : `tag moved: local ${local.map(short).join(',')}, registry ${short(remoteDigest)}`,
  };
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
