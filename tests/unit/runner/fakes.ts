// In-memory fakes of the runner's ports for unit tests, following the real adapters'
// contracts: errors are the same classes (UpstreamError, AuthError, NotFoundError).
import { UpstreamError } from '../../../core/errors.ts';
import {
  formatImageReference,
  type ImageReference,
  parseImageReference,
} from '../../../core/image-reference.ts';
import type { DesiredImage } from '../../../runner/desired/desired-set.ts';
import type {
  ContainerDetails,
  ContainerSummary,
  FileSystemSpace,
  ImageRuntime,
  LocalImage,
  PullOptions,
  PullOutcome,
  RuntimeInfo,
} from '../../../runner/runtime/ImageRuntime.ts';
import type { DigestResolver } from '../../../runner/seed.ts';

export function desired(reference: string, extra: Partial<DesiredImage> = {}): DesiredImage {
  const ref = parseImageReference(reference);
  return {
    reference: formatImageReference(ref),
    ref,
    reasons: ['Deployment ns/app'],
    workloads: 1,
    warm: false,
    scaledToZero: false,
    pullSecrets: [],
    serviceAccounts: [],
    ...extra,
  };
}

export function localImage(id: string, repoTags: string[], repoDigests: string[]): LocalImage {
  return { id, repoTags, repoDigests, labels: {}, size: 1000, created: undefined };
}

/** Registry side: digests by `name:tag`, reachability by domain; counts HEADs. */
export class FakeRegistry implements DigestResolver {
  readonly heads: string[] = [];
  readonly pings: string[] = [];
  readonly digests = new Map<string, string>();
  readonly down = new Set<string>();
  readonly headErrors = new Map<string, Error>();

  async ping(domain: string) {
    this.pings.push(domain);
    return this.down.has(domain)
      ? { ok: false as const, error: new UpstreamError(domain, 'connect ECONNREFUSED') }
      : { ok: true as const };
  }

  async resolveDigest(ref: ImageReference): Promise<string> {
    const key = `${ref.name}:${ref.tag}`;
    this.heads.push(key);
    const error = this.headErrors.get(key);
    if (error) throw error;
    const digest = this.digests.get(key);
    if (!digest) throw new UpstreamError(ref.domain, `no fake digest for ${key}`);
    return digest;
  }
}

type PullBehaviour = (attempt: number, options: PullOptions) => Promise<PullOutcome>;

/** The node's image store: pulls succeed unless a behaviour says otherwise. */
export class FakeRuntime implements ImageRuntime {
  images: LocalImage[] = [];
  readonly pulls: { reference: string; credentials: PullOptions['credentials'] }[] = [];
  readonly behaviours = new Map<string, PullBehaviour>();
  freeBytes = 100 * 1024 ** 3;
  inFlight = 0;
  maxInFlight = 0;

  async info(): Promise<RuntimeInfo> {
    return { kind: 'docker', name: 'docker', version: '20.10.24', rootDir: '/var/lib/docker' };
  }
  async listImages(): Promise<LocalImage[]> {
    return this.images;
  }
  async inspectImage(reference: string): Promise<LocalImage | undefined> {
    return this.images.find((image) => image.id === reference || image.repoTags.includes(reference));
  }
  async pullImage(reference: string, options: PullOptions = {}): Promise<PullOutcome> {
    this.pulls.push({ reference, credentials: options.credentials });
    const attempt = this.pulls.filter((pull) => pull.reference === reference).length;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // yield so that other workers start: concurrency is observable without timers
      await new Promise((resolve) => setImmediate(resolve));
      const behaviour = this.behaviours.get(reference);
      return behaviour ? await behaviour(attempt, options) : { bytes: 1_000_000 };
    } finally {
      this.inFlight -= 1;
    }
  }
  async removeImage(): Promise<void> {}
  async listContainers(): Promise<ContainerSummary[]> {
    return [];
  }
  async inspectContainer(_id: string): Promise<ContainerDetails | undefined> {
    return undefined;
  }
  async imageStoreSpace(): Promise<FileSystemSpace> {
    return { freeBytes: this.freeBytes, totalBytes: 200 * 1024 ** 3 };
  }
}
