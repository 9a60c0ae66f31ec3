// The ports, options and result of the seed step (runner/seed.ts) and its phases.
import type { UpstreamError } from '../core/errors.ts';
import type { ImageReference } from '../core/image-reference.ts';
import type { Logger } from '../core/logger.ts';
import type { RegistryCredentials } from '../core/registry/credentials.ts';
import type { DesiredImage } from './desired/desired-set.ts';
import type { ImageRuntime, ManifestLayer } from './runtime/ImageRuntime.ts';

/** The part of core/registry's RegistryClient the seed needs. */
export interface DigestResolver {
  ping(domain: string): Promise<{ ok: true } | { ok: false; error: UpstreamError }>;
  resolveDigest(ref: ImageReference): Promise<string>;
  /** The platform manifest, for the layer sizes of a pull; without it bytes come from the runtime. */
  resolvePlatformManifest?(ref: ImageReference): Promise<{ manifest: { layers: readonly ManifestLayer[] } }>;
}

export interface SeedPorts {
  runtime: ImageRuntime;
  /** The registry client holding the credentials that may authenticate this image. */
  resolverFor(image: DesiredImage): DigestResolver;
  credentialsFor(image: DesiredImage): RegistryCredentials | undefined;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Milliseconds for durations; injected by tests. */
  now?: () => number;
}

export interface SeedOptions {
  concurrency: number;
  /** HEAD requests in flight at once. */
  checkConcurrency?: number;
  pullTimeoutMs: number;
  retries: number;
  minFreeBytes: number;
  dryRun?: boolean;
  /**
   * Dry run only: false plans from the local store alone, contacting no registry (a tag
   * present locally is not checked for having moved). Default true.
   */
  checkRegistry?: boolean;
  /** Dry run only: the runtime did not answer (this message); presence is then unknown. */
  runtimeUnavailable?: string;
  signal?: AbortSignal;
}

export type SkipReason = 'registry-unreachable' | 'low-disk' | 'aborted';
export type SeedOutcome = 'present' | 'pulled' | 'planned' | 'skipped' | 'failed';

export interface SeedImageResult {
  reference: string;
  /** Why the image is desired: `warm list`, `Deployment shop/web`, ... */
  wantedBy?: string[];
  outcome: SeedOutcome;
  /** Dry run: whether the local store has the image (`unknown` when the runtime did not answer). */
  presence?: 'present' | 'absent' | 'unknown';
  why?: string;
  skipReason?: SkipReason;
  digest?: string;
  bytes?: number;
  attempts?: number;
  error?: string;
  errorKind?: string;
  durationMs?: number;
}

export interface SeedResult {
  images: SeedImageResult[];
  counts: {
    desired: number;
    present: number;
    pulled: number;
    planned: number;
    failed: number;
    skipped: Record<SkipReason, number>;
  };
  bytes: number;
  unreachableRegistries: { registry: string; error: string }[];
  lowDisk: { freeBytes: number; minFreeBytes: number } | undefined;
}

/** Where each phase records an image's result, by reference. */
export type RecordResult = (result: SeedImageResult) => void;
