// An ImageMetadata adapter over a JSON file instead of the registries: what a tag points to and
// when each image was built, exported from a registry elsewhere (air-gapped sites) or shipped
// with the demo. Same port as RegistryImageMetadata, so tag resolution and the age rule work
// the same. Keys are image references in any form (`nginx:1.27`, `docker.io/library/nginx:1.27`,
// `repo@sha256:...`): they are parsed and matched on the canonical form.
//
// { "images": { "harbor.example.org/team/app:1.0": { "digest": "sha256:...", "created": "2026-11-01T00:00:00Z" } } }
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, errorMessage, NotFoundError } from '../../core/errors.ts';
import {
  formatImageReference,
  type ImageReference,
  parseImageReference,
} from '../../core/image-reference.ts';
import type { ImageMetadata } from './ImageMetadata.ts';

const Entry = z
  .object({
    digest: z
      .string()
      .regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex>')
      .optional(),
    created: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const ImageMetadataFile = z.object({ images: z.record(z.string(), Entry) }).passthrough();
export type ImageMetadataFile = z.infer<typeof ImageMetadataFile>;

interface Known {
  digest?: string;
  created?: string;
}

export class FileImageMetadata implements ImageMetadata {
  readonly #byReference = new Map<string, Known>();
  readonly #createdByDigest = new Map<string, string>();
  readonly #domains = new Set<string>();

  constructor(file: ImageMetadataFile, source = 'image metadata') {
    for (const [key, entry] of Object.entries(file.images)) {
      let ref: ImageReference;
      try {
        ref = parseImageReference(key);
      } catch (error) {
        throw new ConfigError(`${source}: images[${JSON.stringify(key)}]: ${errorMessage(error)}`, [], {
          cause: error,
        });
      }
      this.#domains.add(ref.domain);
      this.#byReference.set(formatImageReference(ref), entry);
      const digest = ref.digest ?? entry.digest;
      if (digest && entry.created) this.#createdByDigest.set(digest, entry.created);
    }
  }

  /** Reads and checks the file; errors name the config key and the bad entry. */
  static load(path: string, key = 'inventory.imageMetadataFile'): FileImageMetadata {
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${key}: cannot read ${path} as JSON: ${errorMessage(error)}`, [], {
        cause: error,
      });
    }
    const parsed = ImageMetadataFile.safeParse(body);
    if (!parsed.success)
      throw new ConfigError(
        `${key}: ${path} is not an image metadata file`,
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    return new FileImageMetadata(parsed.data, `${key} (${path})`);
  }

  async available(domain: string): Promise<boolean> {
    return this.#domains.has(domain);
  }

  async resolveDigest(ref: ImageReference): Promise<string> {
    if (ref.digest) return ref.digest;
    const digest = this.#byReference.get(formatImageReference({ ...ref, tag: ref.tag ?? 'latest' }))?.digest;
    if (!digest) throw new NotFoundError(`${formatImageReference(ref)}: not in the image metadata file`);
    return digest;
  }

  async created(ref: ImageReference): Promise<string | undefined> {
    if (ref.digest) {
      const byDigest = this.#createdByDigest.get(ref.digest);
      if (byDigest) return byDigest;
    }
    return this.#byReference.get(formatImageReference(ref))?.created;
  }
}
