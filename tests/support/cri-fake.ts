// A CRI protocol fake: a real grpc-js server on a unix socket serving the runtime.v1
// ImageService and RuntimeService calls the runner makes, from in-memory images and
// containers, answering as containerd does (NOT_FOUND for an unknown container, an empty
// ImageStatus for an unknown image, verbose ContainerStatus info as `info["info"]` JSON with
// `pid` and the OCI `runtimeSpec`). It stands in where this sandbox cannot run containers
// through a real runtime (containers in use, SELinux labels) and for broken servers: one that
// serves no v1 service (an old v1alpha2-only runtime answers UNIMPLEMENTED) or never answers.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { criPackageDefinition } from '../../runner/runtime/cri/cri-client.ts';

export interface FakeCriImage {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: number;
}

export interface FakeCriContainer {
  id: string;
  name: string;
  /** As ListContainers reports it: the image id (containerd's image_ref). */
  imageRef: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  labels: Record<string, string>;
  mounts?: { container_path: string; host_path: string }[];
  /** The verbose info["info"] document; omitted: no verbose info. */
  info?: {
    pid: number;
    runtimeSpec: { process?: { selinuxLabel?: string }; linux?: { mountLabel?: string } };
  };
}

export interface CriFakeOptions {
  /** `v1` serves the CRI; `none` serves no service, so every v1 call is UNIMPLEMENTED. */
  serve?: 'v1' | 'none';
  /** Methods that never answer (the client's deadline ends them). */
  hang?: string[];
  runtimeName?: string;
}

type Handler = (call: { request: Record<string, unknown> }, callback: grpc.sendUnaryData<unknown>) => void;

export class CriFake {
  images: FakeCriImage[] = [];
  containers: FakeCriContainer[] = [];
  imageFs = { mountpoint: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs', usedBytes: 0 };
  /** Every call, by method name, in order. */
  readonly calls: string[] = [];
  readonly removed: string[] = [];

  private constructor(
    readonly socket: string,
    private readonly dir: string,
    private readonly server: grpc.Server,
  ) {}

  static async start(options: CriFakeOptions = {}): Promise<CriFake> {
    const dir = await mkdtemp('/tmp/icf-');
    const socket = join(dir, 'cri.sock');
    const server = new grpc.Server();
    const fake = new CriFake(socket, dir, server);
    if ((options.serve ?? 'v1') === 'v1') {
      const pkg = grpc.loadPackageDefinition(criPackageDefinition()) as unknown as {
        runtime: {
          v1: {
            ImageService: { service: grpc.ServiceDefinition };
            RuntimeService: { service: grpc.ServiceDefinition };
          };
        };
      };
      const wrap =
        (name: string, handler: Handler): Handler =>
        (call, callback) => {
          fake.calls.push(name);
          if (options.hang?.includes(name)) return; // never answers
          handler(call, callback);
        };
      const image = fake.imageHandlers();
      const runtime = fake.runtimeHandlers(options.runtimeName ?? 'containerd');
      server.addService(
        pkg.runtime.v1.ImageService.service,
        Object.fromEntries(
          Object.entries(image).map(([k, h]) => [k, wrap(k, h)]),
        ) as grpc.UntypedServiceImplementation,
      );
      server.addService(
        pkg.runtime.v1.RuntimeService.service,
        Object.fromEntries(
          Object.entries(runtime).map(([k, h]) => [k, wrap(k, h)]),
        ) as grpc.UntypedServiceImplementation,
      );
    }
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    return fake;
  }

  private findImage(ref: string): FakeCriImage | undefined {
    return this.images.find((i) => i.id === ref || i.repo_tags.includes(ref) || i.repo_digests.includes(ref));
  }

  private imageHandlers(): Record<string, Handler> {
    const imageRef = (request: Record<string, unknown>): string =>
      String((request.image as { image?: string } | undefined)?.image ?? '');
    return {
      ListImages: (_call, cb) => cb(null, { images: this.images }),
      ImageStatus: (call, cb) =>
        cb(null, { image: this.findImage(imageRef(call.request)) ?? null, info: {} }),
      PullImage: (call, cb) => cb(null, { image_ref: imageRef(call.request) }),
      // like containerd: removes whatever containers use it (the caller must check first)
      RemoveImage: (call, cb) => {
        const found = this.findImage(imageRef(call.request));
        if (found) {
          this.images = this.images.filter((i) => i !== found);
          this.removed.push(found.id);
        }
        cb(null, {});
      },
      ImageFsInfo: (_call, cb) =>
        cb(null, {
          image_filesystems: [
            {
              timestamp: Date.now() * 1e6,
              fs_id: { mountpoint: this.imageFs.mountpoint },
              used_bytes: { value: this.imageFs.usedBytes },
              inodes_used: { value: 0 },
            },
          ],
        }),
    };
  }

  private runtimeHandlers(runtimeName: string): Record<string, Handler> {
    const toCri = (c: FakeCriContainer) => ({
      id: c.id,
      pod_sandbox_id: 'sandbox',
      metadata: { name: c.name, attempt: 0 },
      image: { image: c.imageRef },
      image_ref: c.imageRef,
      state: c.state,
      labels: c.labels,
    });
    return {
      Version: (_call, cb) =>
        cb(null, {
          version: '0.1.0',
          runtime_name: runtimeName,
          runtime_version: '1.7.2',
          runtime_api_version: 'v1',
        }),
      ListContainers: (_call, cb) => cb(null, { containers: this.containers.map(toCri) }),
      ContainerStatus: (call, cb) => {
        const c = this.containers.find((x) => x.id === call.request.container_id);
        if (!c) {
          cb({
            code: grpc.status.NOT_FOUND,
            details: `an error occurred when try to find container "${String(call.request.container_id)}": not found`,
          });
          return;
        }
        cb(null, {
          status: { ...toCri(c), mounts: c.mounts ?? [] },
          info: call.request.verbose && c.info ? { info: JSON.stringify(c.info) } : {},
        });
      },
      ListPodSandbox: (_call, cb) => cb(null, { items: [] }),
      PodSandboxStatus: (_call, cb) => cb({ code: grpc.status.NOT_FOUND, details: 'not found' }),
    };
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
    await rm(this.dir, { recursive: true, force: true });
  }
}
