// Schemas for what registries return: image manifests and indexes (Docker v2 schema 2 and
// OCI share one shape) and the image config blob. Fields imagewarden does not use pass through.
import { z } from 'zod';

const DigestString = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'not a digest');

export const Platform = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.object({
  mediaType: z.string(),
  digest: DigestString,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export const IndexEntry = Descriptor.extend({ platform: Platform.partial().optional() });
export type IndexEntry = z.infer<typeof IndexEntry>;

export const ImageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(IndexEntry),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

/** The image config blob: only what imagewarden reads. */
export const ImageConfigBlob = z.object({
  created: z.string().optional(),
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});
export type ImageConfigBlob = z.infer<typeof ImageConfigBlob>;

/** A token endpoint's answer (Docker's `token` or OAuth2's `access_token`). */
export const TokenResponse = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().int().positive().optional(),
    issued_at: z.string().optional(),
  })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, 'has neither token nor access_token');
export type TokenResponse = z.infer<typeof TokenResponse>;
