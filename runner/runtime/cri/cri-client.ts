// A small gRPC client for the CRI `runtime.v1` ImageService and RuntimeService on a unix
// socket: one channel per service, every call unary with a deadline, and every gRPC failure
// turned into one of our errors that names the socket and keeps the gRPC status as `cause`.
import * as grpc from '@grpc/grpc-js';
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { AuthError, NotFoundError, UpstreamError } from '../../../core/errors.ts';
import { CRI_PROTO } from './api-proto.ts';

/** The two CRI services, as grpc-js builds them from the proto. */
type ServiceClient = grpc.Client & Record<string, grpc.MethodDefinition<unknown, unknown> | unknown>;
type ServiceConstructor = new (
  target: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => ServiceClient;

let services: { image: ServiceConstructor; runtime: ServiceConstructor } | undefined;

/** The CRI subset as a grpc-js package definition (also what the tests' CRI fake serves). */
export function criPackageDefinition(): PackageDefinition {
  const root = protobuf.parse(CRI_PROTO, { keepCase: true }).root;
  return fromJSON(root.toJSON(), {
    keepCase: true,
    // 64-bit sizes stay exact as numbers below 2^53 bytes; nanosecond timestamps lose
    // sub-microsecond precision, and nothing reads them
    longs: Number,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
  });
}

function loadServices(): { image: ServiceConstructor; runtime: ServiceConstructor } {
  if (services) return services;
  const loaded = grpc.loadPackageDefinition(criPackageDefinition()) as unknown as {
    runtime: { v1: { ImageService: ServiceConstructor; RuntimeService: ServiceConstructor } };
  };
  services = { image: loaded.runtime.v1.ImageService, runtime: loaded.runtime.v1.RuntimeService };
  return services;
}

/** The gRPC status fields a failed call carries (grpc-js ServiceError). */
interface GrpcStatus {
  code?: number;
  details?: string;
  message?: string;
}

/** What the socket's owner is, for messages: `CRI unix:///run/containerd/containerd.sock`. */
export function criHost(socket: string): string {
  return `CRI ${socket}`;
}

/**
 * Maps a failed CRI call to our errors. Registry failures during PullImage arrive as UNKNOWN
 * with the runtime's text (containerd: `failed to pull and unpack image ...: 401 Unauthorized`;
 * CRI-O: `... unauthorized: authentication required`), so the text decides between auth,
 * not found and other upstream failures.
 */
export function mapGrpcError(socket: string, what: string, error: unknown): Error {
  const status = (error ?? {}) as GrpcStatus;
  const host = criHost(socket);
  const detail = status.details || status.message || String(error);
  switch (status.code) {
    case grpc.status.UNAVAILABLE:
      // an HTTP/1 server (the Docker API is the usual mix-up) fails the HTTP/2 handshake
      if (/protocol error/i.test(detail)) {
        return new UpstreamError(
          host,
          `${what}: the socket answers but not with gRPC: not a CRI socket (a Docker API socket wants runner.runtime: docker) (${detail})`,
          { cause: error },
        );
      }
      return new UpstreamError(host, `${what}: runtime unreachable (${detail})`, { cause: error });
    case grpc.status.UNIMPLEMENTED:
      return new UpstreamError(
        host,
        `${what}: the runtime does not serve the CRI runtime.v1 API (UNIMPLEMENTED: ${detail}); ` +
          'runtimes older than containerd 1.5 / CRI-O 1.20 serve only v1alpha2: upgrade the runtime, ' +
          'or point runner.socket at the CRI socket',
        { cause: error },
      );
    case grpc.status.DEADLINE_EXCEEDED:
      return new UpstreamError(host, `${what}: no answer before the deadline (${detail})`, { cause: error });
    case grpc.status.NOT_FOUND:
      return new NotFoundError(`${host}: ${what}: ${detail}`, { cause: error });
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new AuthError(host, `${what}: ${detail}`, { cause: error });
    case grpc.status.INTERNAL:
      // a server that is not gRPC (an HTTP/1 daemon, a plain unix socket) ends here
      return new UpstreamError(host, `${what}: not a CRI gRPC server? (${detail})`, { cause: error });
    default:
      break;
  }
  if (/unauthorized|authentication required|denied|no basic auth credentials|\b40[13]\b/i.test(detail)) {
    return new AuthError(host, `${what}: ${detail}`, { cause: error });
  }
  if (/manifest unknown|not found|does not exist|404/i.test(detail)) {
    return new NotFoundError(`${host}: ${what}: ${detail}`, { cause: error });
  }
  return new UpstreamError(host, `${what}: ${detail}`, { cause: error });
}

export interface CriClientOptions {
  /** Path of the unix socket (a `unix://` prefix is accepted). */
  socket: string;
  /** Deadline of every call but PullImage, in ms. */
  callTimeoutMs?: number;
}

export class CriClient {
  readonly socket: string;
  readonly #image: ServiceClient;
  readonly #runtime: ServiceClient;
  readonly #callTimeoutMs: number;

  constructor(options: CriClientOptions) {
    const path = options.socket.replace(/^unix:\/\//, '');
    this.socket = path;
    this.#callTimeoutMs = options.callTimeoutMs ?? 30_000;
    const { image, runtime } = loadServices();
    const target = `unix://${path}`;
    const channelOptions: grpc.ChannelOptions = {
      // ListImages on a busy node and verbose ContainerStatus can exceed the 4 MiB default
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    };
    this.#image = new image(target, grpc.credentials.createInsecure(), channelOptions);
    this.#runtime = new runtime(target, grpc.credentials.createInsecure(), channelOptions);
  }

  /** One unary call; `timeoutMs` overrides the default deadline, `signal` cancels it. */
  call<T>(
    service: 'image' | 'runtime',
    method: string,
    request: object,
    what: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const client = service === 'image' ? this.#image : this.#runtime;
    const fn = client[method] as
      | ((
          req: object,
          meta: grpc.Metadata,
          opts: grpc.CallOptions,
          cb: (error: grpc.ServiceError | null, response: T) => void,
        ) => grpc.ClientUnaryCall)
      | undefined;
    if (typeof fn !== 'function') throw new Error(`CRI proto has no ${service} method ${method}`);
    const deadline = Date.now() + (options.timeoutMs ?? this.#callTimeoutMs);
    return new Promise<T>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = fn.call(client, request, new grpc.Metadata(), { deadline }, (error, response) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          if (options.signal?.aborted) reject(options.signal.reason);
          else reject(mapGrpcError(this.socket, what, error));
        } else resolve(response);
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.#image.close();
    this.#runtime.close();
  }
}
