// The port to the node's container image store. Two production adapters:
// DockerImageRuntime (Docker Engine API via dockerode; Podman's Docker-compatible socket
// speaks the same API) and CriImageRuntime (the Kubernetes CRI over gRPC: containerd, CRI-O).
// Errors: UpstreamError (daemon unreachable, pull failed at the
// registry), AuthError (registry refused the credentials), NotFoundError (no such
// image/manifest), ImageInUseError (remove refused because a container uses the image).
import type { RegistryCredentials } from '../../core/registry/credentials.ts';

export interface LocalImage {
  id: string;
  /** As the daemon prints them: familiar form (`nginx:1.27`, `127.0.0.1:5000/app:v1`). */
  repoTags: string[];
  /** `name@sha256:...` for each registry digest this image was pulled by. */
  repoDigests: string[];
  labels: Record<string, string>;
  /** Bytes on disk (uncompressed). */
  size: number;
  created: string | undefined;
}

export interface PullProgress {
  status: string;
  layer?: string;
  current?: number;
  total?: number;
}

/** A layer of the image manifest being pulled (compressed size, as the registry serves it). */
export interface ManifestLayer {
  digest: string;
  size: number;
}

export interface PullOptions {
  credentials?: RegistryCredentials;
  /**
   * The layers of the platform manifest being pulled, when the caller read it: the adapter
   * counts downloaded bytes from them (the CRI reports no progress; Docker's progress stream
   * can miss a small layer).
   */
  layers?: readonly ManifestLayer[];
  /** Aborting it cancels the pull on the daemon (the API connection is closed). */
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullOutcome {
  /** Compressed bytes downloaded (layers already present are not counted). */
  bytes: number;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  /** The image as the container was created from it (reference or id). */
  image: string;
  imageId: string;
  /** created, running, paused, restarting, removing, exited, dead. */
  state: string;
  labels: Record<string, string>;
}

export interface ContainerMount {
  type: string;
  source: string;
  destination: string;
}

export interface ContainerDetails extends ContainerSummary {
  pid: number;
  processLabel: string;
  mountLabel: string;
  /** HostConfig.SecurityOpt, e.g. `label=level:s0:c100,c200` or `label=disable`. */
  securityOpt: string[];
  mounts: ContainerMount[];
}

/** `cri` is any runtime reached through the Kubernetes CRI (containerd, CRI-O). */
export type RuntimeKind = 'docker' | 'podman' | 'cri';

export interface RuntimeInfo {
  kind: RuntimeKind;
  /** The runtime's own name: `docker`, `podman`, `containerd`, `cri-o`. */
  name: string;
  version: string;
  /** The daemon's image store root (Docker's DockerRootDir), when it says. */
  rootDir: string | undefined;
}

export interface FileSystemSpace {
  freeBytes: number;
  totalBytes: number;
  /** Bytes the image store itself uses, when the runtime says (CRI ImageFsInfo). */
  imageBytes?: number;
}

export interface ImageRuntime {
  info(): Promise<RuntimeInfo>;
  listImages(): Promise<LocalImage[]>;
  /** By id or reference; undefined when the store lacks it. */
  inspectImage(reference: string): Promise<LocalImage | undefined>;
  /** Pulls `reference` (a tag or digest reference, canonical or familiar). */
  pullImage(reference: string, options?: PullOptions): Promise<PullOutcome>;
  /** Removes one image by id or reference; never forced, so an image in use is refused. */
  removeImage(reference: string): Promise<void>;
  /** Every container, stopped ones included. */
  listContainers(): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerDetails | undefined>;
  /**
   * Space of the image store's filesystem. Docker: statfs of a configured path on it; CRI:
   * ImageFsInfo (used bytes and mountpoint) with statfs of the mountpoint, or the node's
   * capacity when the mountpoint is not visible to the runner.
   */
  imageStoreSpace(): Promise<FileSystemSpace>;
  /** Releases connections (the CRI's gRPC channels); a no-op where there are none. */
  close?(): void;
}
