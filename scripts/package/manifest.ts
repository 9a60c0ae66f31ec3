// The release manifest `npm run package` writes beside the zips (manifest.json), which the
// Terraform module reads instead of hashing files at plan time: per function the zip's path
// relative to the package directory, its SHA-256 in base64 (what aws_lambda_function's
// source_code_hash compares with) and its size; and the runner image's build context.
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';

export const PackagedFunction = z.object({
  zip: z.string(),
  sha256: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of a SHA-256'),
  bytes: z.number().int().positive(),
});
export type PackagedFunction = z.infer<typeof PackagedFunction>;

export const ReleaseManifest = z.object({
  name: z.literal('imagewarden'),
  version: z.string(),
  /** Node.js the code is built for (Lambda runtime and runner image). */
  node: z.string(),
  functions: z.record(z.string(), PackagedFunction),
  runnerImage: z.object({
    /** Directory (relative) holding the Dockerfile and the bundle: `docker build <context>`. */
    context: z.string(),
    /** The image reference the release is meant to be pushed as, repository without registry. */
    tag: z.string(),
  }),
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;
