// ImageRuntime over the Kubernetes CRI (runtime.v1 gRPC) on the runtime's unix socket: the
// store the kubelet itself reads on containerd and CRI-O nodes. The CRI has no "refuse if in
// use" remove and no pull progress, so removal checks ListContainers first (running and
// exited containers both hold their image) and pulled bytes come from the manifest layers.
import { statfs } from 'node:fs/promises';
import { errorMessage, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { containerStateOf } from './cri/container-state.ts';
import { CriClient, criHost } from './cri/cri-client.ts';
import {
  ContainerStatusResponse,
  ContainerVerboseInfo,
  type CriContainer,
  type CriImage,
  ImageFsInfoResponse,
  ImageStatusResponse,
  ListContainersResponse,
  ListImagesResponse,
  PullImageResponse,
  VersionResponse,
} from './cri/cri-schemas.ts';
import { ImageInUseError } from './errors.ts';
import type {
  ContainerDetails,
  ContainerSummary,
  FileSystemSpace,
  ImageRuntime,
  LocalImage,
  PullOptions,
  PullOutcome,
  RuntimeInfo,
} from './ImageRuntime.ts';
import { pulledBytes } from './pulled-bytes.ts';

export interface CriImageRuntimeOptions {
  /** The runtime's CRI socket (`/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`). */
  socket: string;
  /** Deadline of each call but PullImage (ms). */
  callTimeoutMs?: number;
  /**
   * The node's ephemeral-storage capacity. When set, the image store's space is measured
   * against it from ImageFsInfo's used bytes (the runner does not see the host's filesystem
   * in its pod); unset, the reported mountpoint is statfs'd.
   */
  capacityBytes?: number;
}

/** PullImage has its own deadline: the caller's signal (per-attempt timeout, SIGTERM) ends it. */
const PULL_DEADLINE_MS = 24 * 60 * 60 * 1000;

function toLocalImage(image: CriImage): LocalImage {
  return {
    id: image.id,
    repoTags: image.repo_tags,
    repoDigests: image.repo_digests,
    // the CRI Image carries no labels; prune's labelSelector therefore never matches on CRI nodes
    labels: {},
    size: image.size,
    created: undefined,
  };
}

function toContainer(c: CriContainer): ContainerSummary {
  return {
    id: c.id,
    names: c.metadata?.name ? [c.metadata.name] : [],
    image: c.image?.image || c.image_ref,
    // image_id is new in CRI 1.30; before it, image_ref held the image id (containerd) or digest
    imageId: c.image_id || c.image_ref,
    state: containerStateOf(c.state),
    labels: c.labels,
  };
}

export class CriImageRuntime implements ImageRuntime {
  readonly socket: string;
  readonly #client: CriClient;
  readonly #capacityBytes: number | undefined;
  /**
   * ImageFsInfo's used bytes are collected periodically (containerd: every
   * stats_collect_period), so right after a removal they still count the removed image; until
   * the figure moves, the sizes removed since are subtracted (prune re-reads after each).
   */
  #staleUse: { reported: number; removedBytes: number } | undefined;
  #lastReported: number | undefined;

  constructor(options: CriImageRuntimeOptions) {
    this.#client = new CriClient({
      socket: options.socket,
      ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
    });
    this.socket = this.#client.socket;
    this.#capacityBytes = options.capacityBytes;
  }

  async info(): Promise<RuntimeInfo> {
    const v = VersionResponse.parse(
      await this.#client.call('runtime', 'Version', { version: 'v1' }, 'version'),
    );
    return {
      kind: 'cri',
      name: v.runtime_name || 'unknown',
      version: v.runtime_version,
      rootDir: undefined,
    };
  }

  async listImages(): Promise<LocalImage[]> {
    const res = ListImagesResponse.parse(await this.#client.call('image', 'ListImages', {}, 'list images'));
    return res.images.map(toLocalImage);
  }

  async inspectImage(reference: string): Promise<LocalImage | undefined> {
    const res = ImageStatusResponse.parse(
      await this.#client.call(
        'image',
        'ImageStatus',
        { image: { image: reference } },
        `image status ${reference}`,
      ),
    );
    return res.image ? toLocalImage(res.image) : undefined;
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<PullOutcome> {
    // No server_address: containerd parses it as a URL (a bare `host:port` fails to parse)
    // and silently drops credentials whose host differs from the pull's; the credentials
    // are for this one pull anyway.
    const auth = options.credentials
      ? { username: options.credentials.username, password: options.credentials.password }
      : undefined;
    PullImageResponse.parse(
      await this.#client.call(
        'image',
        'PullImage',
        { image: { image: reference }, ...(auth ? { auth } : {}) },
        `pull ${reference}`,
        { timeoutMs: PULL_DEADLINE_MS, ...(options.signal ? { signal: options.signal } : {}) },
      ),
    );
    return { bytes: options.layers ? pulledBytes(options.layers) : 0 };
  }

  /**
   * Never forced: the CRI's RemoveImage deletes an image even under a container (the kubelet
   * checks first), so we check every container, exited ones included, before asking.
   */
  async removeImage(reference: string): Promise<void> {
    const image = await this.inspectImage(reference);
    if (!image) throw new NotFoundError(`${criHost(this.socket)}: remove image ${reference}: no such image`);
    const names = new Set([image.id, ...image.repoTags, ...image.repoDigests]);
    const users = (await this.listContainers()).filter((c) => names.has(c.imageId) || names.has(c.image));
    if (users.length > 0) {
      throw new ImageInUseError(
        reference,
        `in use by ${users.length} container(s): ${users
          .slice(0, 3)
          .map((c) => `${c.names[0] ?? c.id.slice(0, 12)} (${c.state})`)
          .join(', ')}`,
      );
    }
    await this.#client.call(
      'image',
      'RemoveImage',
      { image: { image: image.id } },
      `remove image ${reference}`,
    );
    if (this.#lastReported !== undefined) {
      this.#staleUse = {
        reported: this.#staleUse?.reported ?? this.#lastReported,
        removedBytes: (this.#staleUse?.removedBytes ?? 0) + image.size,
      };
    }
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const res = ListContainersResponse.parse(
      await this.#client.call('runtime', 'ListContainers', {}, 'list containers'),
    );
    return res.containers.map(toContainer);
  }

  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    let raw: unknown;
    try {
      raw = await this.#client.call(
        'runtime',
        'ContainerStatus',
        { container_id: id, verbose: true },
        `container status ${id}`,
      );
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const res = ContainerStatusResponse.parse(raw);
    const status = res.status;
    if (!status) return undefined;
    const info = parseVerboseInfo(this.socket, id, res.info.info);
    return {
      id: status.id,
      names: status.metadata?.name ? [status.metadata.name] : [],
      image: status.image?.image || status.image_ref,
      imageId: status.image_id || status.image_ref,
      state: containerStateOf(status.state),
      labels: status.labels,
      pid: info?.pid ?? 0,
      processLabel: info?.runtimeSpec?.process?.selinuxLabel ?? '',
      mountLabel: info?.runtimeSpec?.linux?.mountLabel ?? '',
      // a Docker notion; on the CRI the labels above are what the runtime applied
      securityOpt: [],
      mounts: status.mounts.map((m) => ({
        type: 'bind',
        source: m.host_path,
        destination: m.container_path,
      })),
    };
  }

  async imageStoreSpace(): Promise<FileSystemSpace> {
    const res = ImageFsInfoResponse.parse(
      await this.#client.call('image', 'ImageFsInfo', {}, 'image filesystem info'),
    );
    const fs = res.image_filesystems[0];
    if (!fs) throw new UpstreamError(criHost(this.socket), 'ImageFsInfo reported no image filesystem');
    const reported = fs.used_bytes?.value ?? 0;
    this.#lastReported = reported;
    if (this.#staleUse && this.#staleUse.reported !== reported) this.#staleUse = undefined;
    const imageBytes = Math.max(0, reported - (this.#staleUse?.removedBytes ?? 0));
    if (this.#capacityBytes !== undefined) {
      return {
        totalBytes: this.#capacityBytes,
        freeBytes: Math.max(0, this.#capacityBytes - imageBytes),
        imageBytes,
      };
    }
    const mountpoint = fs.fs_id?.mountpoint ?? '';
    try {
      const stats = await statfs(mountpoint);
      return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize, imageBytes };
    } catch (error) {
      throw new UpstreamError(
        criHost(this.socket),
        `image filesystem ${mountpoint || '(no mountpoint)'} is not visible here (${errorMessage(error)}) and the node's capacity is unknown`,
        { cause: error },
      );
    }
  }

  close(): void {
    this.#client.close();
  }
}

function parseVerboseInfo(socket: string, id: string, text: string | undefined) {
  if (!text) return undefined;
  try {
    return ContainerVerboseInfo.parse(JSON.parse(text));
  } catch (error) {
    throw new UpstreamError(
      criHost(socket),
      `container status ${id}: verbose info is not the expected JSON`,
      {
        cause: error,
      },
    );
  }
}
