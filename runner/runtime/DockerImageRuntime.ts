// ImageRuntime over the Docker Engine API (dockerode) on a unix socket. Podman's
// Docker-compatible socket works too (podman system service); a kubelet on containerd's CRI
// does not see Docker's store, which runtime-detection.ts warns about at start.
import { statfs } from 'node:fs/promises';
import Docker from 'dockerode';
import { AuthError, errorMessage, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { parseImageReference } from '../../core/image-reference.ts';
import {
  DockerContainerInspect,
  DockerContainerSummary,
  DockerImageInspect,
  DockerImageSummary,
  DockerInfo,
  DockerVersion,
  PullStreamLine,
} from './docker-api.ts';
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

const HOST = 'container runtime';

interface DockerodeError {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
  message?: string;
}

/** Maps a daemon or registry failure (HTTP status or stream error text) to our errors. */
export function classifyRuntimeError(
  what: string,
  message: string,
  statusCode?: number,
  cause?: unknown,
): Error {
  const text = `${what}: ${message}`;
  // a 401/403 only as a status (a registry's host:port or a digest can hold the digits)
  const authStatus = statusCode === 401 || statusCode === 403;
  const authText =
    /unauthorized|authentication required|denied|no basic auth credentials/i.test(message) ||
    /\b(?:HTTP code|status(?: code)?:?)\s*40[13]\b|\b40[13] (?:Unauthorized|Forbidden)\b/i.test(message);
  if (authStatus || authText) {
    return new AuthError(HOST, text, { cause, ...(statusCode ? { status: statusCode } : {}) });
  }
  if (statusCode === 404 || /manifest unknown|not found|no such image|does not exist/i.test(message)) {
    return new NotFoundError(text, { cause });
  }
  return new UpstreamError(HOST, text, { cause, ...(statusCode ? { status: statusCode } : {}) });
}

function mapDockerodeError(what: string, error: unknown): Error {
  const e = (error ?? {}) as DockerodeError;
  const message = e.json?.message ?? e.message ?? String(error);
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES') {
    return new UpstreamError(HOST, `${what}: daemon unreachable (${e.code})`, { cause: error });
  }
  return classifyRuntimeError(what, message, e.statusCode, error);
}

function toLocalImage(image: DockerImageSummary | DockerImageInspect): LocalImage {
  const labels =
    'Labels' in image ? (image as DockerImageSummary).Labels : (image as DockerImageInspect).Config?.Labels;
  const created =
    typeof image.Created === 'number'
      ? new Date(image.Created * 1000).toISOString()
      : (image.Created ?? undefined);
  return {
    id: image.Id,
    repoTags: image.RepoTags.filter((tag) => tag !== '<none>:<none>'),
    repoDigests: image.RepoDigests.filter((digest) => !digest.startsWith('<none>@')),
    labels: labels ?? {},
    size: image.Size,
    created,
  };
}

function toContainer(c: DockerContainerSummary): ContainerSummary {
  return { id: c.Id, names: c.Names, image: c.Image, imageId: c.ImageID, state: c.State, labels: c.Labels };
}

export type DockerImageRuntimeOptions = ({ socketPath: string } | { docker: Docker }) & {
  /** A path on the image store's filesystem (mounted into the runner) for the space check. */
  imageStorePath?: string;
};

export class DockerImageRuntime implements ImageRuntime {
  private readonly docker: Docker;
  private readonly imageStorePath: string;

  constructor(options: DockerImageRuntimeOptions) {
    this.docker = 'docker' in options ? options.docker : new Docker({ socketPath: options.socketPath });
    this.imageStorePath = options.imageStorePath ?? '/var/lib/docker';
  }

  async info(): Promise<RuntimeInfo> {
    try {
      const [version, info] = await Promise.all([this.docker.version(), this.docker.info()]);
      const v = DockerVersion.parse(version);
      const podman = v.Components.some((component) => /podman/i.test(component.Name));
      return {
        kind: podman ? 'podman' : 'docker',
        name: podman ? 'podman' : 'docker',
        version: v.Version,
        rootDir: DockerInfo.parse(info).DockerRootDir,
      };
    } catch (error) {
      throw mapDockerodeError('version', error);
    }
  }

  async listImages(): Promise<LocalImage[]> {
    try {
      const images = await this.docker.listImages({ all: false });
      return images.map((image) => toLocalImage(DockerImageSummary.parse(image)));
    } catch (error) {
      throw mapDockerodeError('list images', error);
    }
  }

  async inspectImage(reference: string): Promise<LocalImage | undefined> {
    try {
      return toLocalImage(DockerImageInspect.parse(await this.docker.getImage(reference).inspect()));
    } catch (error) {
      if ((error as DockerodeError).statusCode === 404) return undefined;
      throw mapDockerodeError(`inspect image ${reference}`, error);
    }
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<PullOutcome> {
    const ref = parseImageReference(reference);
    const auth = options.credentials
      ? {
          username: options.credentials.username,
          password: options.credentials.password,
          serveraddress: ref.domain,
        }
      : undefined;
    const query = {
      fromImage: ref.name,
      tag: ref.digest ?? ref.tag ?? 'latest',
      abortSignal: options.signal,
    };
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await (auth
        ? this.docker.createImage(auth, query)
        : this.docker.createImage(query))) as NodeJS.ReadableStream;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw mapDockerodeError(`pull ${reference}`, error);
    }
    return consumePullStream(reference, stream, options);
  }

  async removeImage(reference: string): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({ force: false, noprune: false });
    } catch (error) {
      const e = error as DockerodeError;
      if (e.statusCode === 409) {
        throw new ImageInUseError(reference, e.json?.message ?? 'image is in use', { cause: error });
      }
      throw mapDockerodeError(`remove image ${reference}`, error);
    }
  }

  async listContainers(): Promise<ContainerSummary[]> {
    try {
      const containers = await this.docker.listContainers({ all: true });
      return containers.map((c) => toContainer(DockerContainerSummary.parse(c)));
    } catch (error) {
      throw mapDockerodeError('list containers', error);
    }
  }

  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    try {
      const c = DockerContainerInspect.parse(await this.docker.getContainer(id).inspect());
      return {
        id: c.Id,
        names: [c.Name],
        image: c.Config.Image ?? c.Image,
        imageId: c.Image,
        state: c.State.Status,
        labels: c.Config.Labels,
        pid: c.State.Pid,
        processLabel: c.ProcessLabel,
        mountLabel: c.MountLabel,
        securityOpt: c.HostConfig?.SecurityOpt ?? [],
        mounts: c.Mounts.map((m) => ({ type: m.Type, source: m.Source, destination: m.Destination })),
      };
    } catch (error) {
      if ((error as DockerodeError).statusCode === 404) return undefined;
      throw mapDockerodeError(`inspect container ${id}`, error);
    }
  }

  async imageStoreSpace(): Promise<FileSystemSpace> {
    const stats = await statfs(this.imageStorePath);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  }
}

/** Reads the JSON progress stream to its end; an `error` line or an abort rejects. */
function consumePullStream(
  reference: string,
  stream: NodeJS.ReadableStream,
  options: PullOptions,
): Promise<PullOutcome> {
  return new Promise((resolve, reject) => {
    const layerTotals = new Map<string, number>();
    // short layer ids the daemon reported as already present: not downloaded
    const present = new Set<string>();
    let buffer = '';
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else
        resolve({
          bytes: options.layers
            ? pulledBytes(options.layers, present)
            : [...layerTotals.values()].reduce((sum, n) => sum + n, 0),
        });
    };
    const onAbort = (): void => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      finish(options.signal?.reason ?? new Error('aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const handleLine = (text: string): void => {
      if (text.trim() === '') return;
      let line: PullStreamLine;
      try {
        line = PullStreamLine.parse(JSON.parse(text));
      } catch {
        return;
      }
      if (line.error || line.errorDetail?.message) {
        finish(
          classifyRuntimeError(`pull ${reference}`, line.errorDetail?.message ?? line.error ?? 'failed'),
        );
        return;
      }
      if (line.id && line.status === 'Already exists') present.add(line.id);
      const total = line.progressDetail?.total;
      // dockerd keeps only the latest progress of a layer for its watchers, so a small layer's
      // Downloading lines can be overtaken by later ones; Extracting lines carry the same
      // compressed size, so either counts the layer
      if ((line.status === 'Downloading' || line.status === 'Extracting') && line.id && total)
        layerTotals.set(line.id, total);
      options.onProgress?.({
        status: line.status ?? '',
        ...(line.id ? { layer: line.id } : {}),
        ...(line.progressDetail?.current !== undefined ? { current: line.progressDetail.current } : {}),
        ...(total !== undefined ? { total } : {}),
      });
    };
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        handleLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
    stream.on('error', (error: unknown) =>
      finish(
        options.signal?.aborted
          ? options.signal.reason
          : new UpstreamError(HOST, `pull ${reference}: ${errorMessage(error)}`, { cause: error }),
      ),
    );
    stream.on('end', () => {
      handleLine(buffer);
      buffer = '';
      finish();
    });
    // a close without end: the daemon went away mid-pull
    stream.on('close', () =>
      finish(
        new UpstreamError(HOST, `pull ${reference}: the daemon closed the stream before the pull finished`),
      ),
    );
  });
}
