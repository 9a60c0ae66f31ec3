// The ImageMetadata port: what the inventory asks a registry (tag -> digest, the config
// blob's `created`), and its adapter over the RegistryClient. Results are cached per run, so
// an image seen on a thousand hosts is asked about once.

import type { UpstreamError } from '../../core/errors.ts';
import type { ImageReference } from '../../core/image-reference.ts';

export interface ImageMetadata {
  /** True when no registry is asked on purpose (`--offline`); nothing is then reported as down. */
  readonly offline?: boolean;
  /** Whether the registry answers at all (a short ping), so a down registry costs one timeout. */
  available(domain: string): Promise<boolean>;
  resolveDigest(ref: ImageReference): Promise<string>;
  /** The config blob's `created` (ISO time), undefined when the image does not say. */
  created(ref: ImageReference): Promise<string | undefined>;
  /**
   * Whether the registry holds this digest (manifest HEAD): false only on 404; throws when it
   * cannot tell (down, 5xx, timeout, refused credentials). Absent: presence is never checked.
   */
  hasManifest?(ref: ImageReference & { digest: string }): Promise<boolean>;
}

/** The part of core/registry's RegistryClient this adapter uses. */
export interface RegistryClientLike {
  ping(domain: string): Promise<{ ok: true } | { ok: false; error: UpstreamError }>;
  resolveDigest(ref: ImageReference): Promise<string>;
  getImageConfig(ref: ImageReference): Promise<{ created?: string }>;
  hasManifest(ref: ImageReference & { digest: string }): Promise<boolean>;
}

export class RegistryImageMetadata implements ImageMetadata {
  readonly #client: RegistryClientLike;
  readonly #pings = new Map<string, Promise<boolean>>();
  readonly #digests = new Map<string, Promise<string>>();
  readonly #created = new Map<string, Promise<string | undefined>>();

  constructor(client: RegistryClientLike) {
    this.#client = client;
  }

  available(domain: string): Promise<boolean> {
    let ping = this.#pings.get(domain);
    if (!ping) {
      ping = this.#client.ping(domain).then(
        (r) => r.ok,
        () => false,
      );
      this.#pings.set(domain, ping);
    }
    return ping;
  }

  resolveDigest(ref: ImageReference): Promise<string> {
    const key = `${ref.name}:${ref.tag ?? 'latest'}@${ref.digest ?? ''}`;
    let digest = this.#digests.get(key);
    if (!digest) {
      digest = this.#client.resolveDigest(ref);
      this.#digests.set(key, digest);
    }
    return digest;
  }

  hasManifest(ref: ImageReference & { digest: string }): Promise<boolean> {
    return this.#client.hasManifest(ref);
  }

  created(ref: ImageReference): Promise<string | undefined> {
    const key = `${ref.name}@${ref.digest ?? ref.tag ?? 'latest'}`;
    let created = this.#created.get(key);
    if (!created) {
      created = this.#client.getImageConfig(ref).then((c) => c.created);
      this.#created.set(key, created);
    }
    return created;
  }
}

/** For `--offline` runs and sites without registry access: nothing is resolved, ages are unknown. */
export const offlineImageMetadata: ImageMetadata = {
  offline: true,
  available: async () => false,
  resolveDigest: async (ref) => {
    throw new Error(`offline: cannot resolve ${ref.name}`);
  },
  created: async () => undefined,
};
