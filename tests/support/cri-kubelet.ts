// What the kubelet does through the CRI to run a pod, for tests that need real containers on
// the private containerd: a pod sandbox on the node's network (no CNI plugin needed), a
// container from an image, run to its exit. Field numbers from the public CRI definition
// (kubernetes/cri-api pkg/apis/runtime/v1/api.proto); only what these tests send and read.
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { waitUntil } from './ports.ts';

const KUBELET_PROTO = `
syntax = "proto3";
package runtime.v1;

service RuntimeService {
  rpc RunPodSandbox(RunPodSandboxRequest) returns (RunPodSandboxResponse) {}
  rpc StopPodSandbox(PodSandboxIdRequest) returns (Empty) {}
  rpc RemovePodSandbox(PodSandboxIdRequest) returns (Empty) {}
  rpc CreateContainer(CreateContainerRequest) returns (CreateContainerResponse) {}
  rpc StartContainer(ContainerIdRequest) returns (Empty) {}
  rpc RemoveContainer(ContainerIdRequest) returns (Empty) {}
  rpc ContainerStatus(ContainerStatusRequest) returns (ContainerStatusResponse) {}
}

message Empty {}
message PodSandboxIdRequest { string pod_sandbox_id = 1; }
message ContainerIdRequest { string container_id = 1; }

enum NamespaceMode { POD = 0; CONTAINER = 1; NODE = 2; TARGET = 3; }
message NamespaceOption { NamespaceMode network = 1; NamespaceMode pid = 2; NamespaceMode ipc = 3; }
message LinuxSandboxSecurityContext { NamespaceOption namespace_options = 1; }
message LinuxPodSandboxConfig { string cgroup_parent = 1; LinuxSandboxSecurityContext security_context = 2; }
message PodSandboxMetadata { string name = 1; string uid = 2; string namespace = 3; uint32 attempt = 4; }
message PodSandboxConfig {
  PodSandboxMetadata metadata = 1;
  string hostname = 2;
  string log_directory = 3;
  map<string, string> labels = 6;
  map<string, string> annotations = 7;
  LinuxPodSandboxConfig linux = 8;
}
message RunPodSandboxRequest { PodSandboxConfig config = 1; string runtime_handler = 2; }
message RunPodSandboxResponse { string pod_sandbox_id = 1; }

message ImageSpec { string image = 1; }
message ContainerMetadata { string name = 1; uint32 attempt = 2; }
message LinuxContainerSecurityContext { NamespaceOption namespace_options = 3; }
message LinuxContainerConfig { LinuxContainerSecurityContext security_context = 2; }
message ContainerConfig {
  ContainerMetadata metadata = 1;
  ImageSpec image = 2;
  repeated string command = 3;
  repeated string args = 4;
  map<string, string> labels = 9;
  string log_path = 11;
  LinuxContainerConfig linux = 15;
}
message CreateContainerRequest { string pod_sandbox_id = 1; ContainerConfig config = 2; PodSandboxConfig sandbox_config = 3; }
message CreateContainerResponse { string container_id = 1; }

enum ContainerState { CONTAINER_CREATED = 0; CONTAINER_RUNNING = 1; CONTAINER_EXITED = 2; CONTAINER_UNKNOWN = 3; }
message ContainerStatusRequest { string container_id = 1; bool verbose = 2; }
message ContainerStatus { string id = 1; ContainerState state = 3; int32 exit_code = 7; string reason = 10; string message = 11; }
message ContainerStatusResponse { ContainerStatus status = 1; map<string, string> info = 2; }
`;

type Unary = (
  request: unknown,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void;

export interface PodSpec {
  namespace: string;
  name: string;
  uid: string;
}

export interface RunningPod {
  sandboxId: string;
  containerId: string;
}

export interface KubeletCri {
  /** Starts a pod with one container `main` from `image` (a reference or an image id). */
  run(pod: PodSpec, image: string, command: readonly string[]): Promise<RunningPod>;
  /** Runs such a pod until its container exits; the exited container stays, as on a node. */
  runToExit(
    pod: PodSpec,
    image: string,
    command: readonly string[],
  ): Promise<RunningPod & { exitCode: number }>;
  /** Stops and removes the pod with its containers. */
  removePod(sandboxId: string): Promise<void>;
  /** Removes every pod this client started that is still there. */
  removeAll(): Promise<void>;
  close(): void;
}

export function kubeletCri(socket: string, logDirectory: string): KubeletCri {
  const root = protobuf.parse(KUBELET_PROTO, { keepCase: true }).root;
  const definition = fromJSON(root.toJSON(), { keepCase: true, enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  const client = new loaded.runtime.v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Unary>)[method];
      if (!fn) return reject(new Error(`no CRI method ${method}`));
      fn.call(client, request, (error, response) =>
        error
          ? reject(new Error(`CRI ${method}: ${error.details || error.message}`, { cause: error }))
          : resolve(response as T),
      );
    });
  const pods = new Set<string>();
  return {
    async run(pod, image, command) {
      const sandboxConfig = {
        metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: 0 },
        hostname: '',
        log_directory: logDirectory,
        labels: {
          'io.kubernetes.pod.name': pod.name,
          'io.kubernetes.pod.namespace': pod.namespace,
          'io.kubernetes.pod.uid': pod.uid,
        },
        linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
      };
      const { pod_sandbox_id: sandboxId } = await call<{ pod_sandbox_id: string }>('RunPodSandbox', {
        config: sandboxConfig,
      });
      pods.add(sandboxId);
      const { container_id: containerId } = await call<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: sandboxId,
        config: {
          metadata: { name: 'main', attempt: 0 },
          image: { image },
          command: [...command],
          // the kubelet labels each container with its pod and name; runtimes return them as given
          labels: { ...sandboxConfig.labels, 'io.kubernetes.container.name': 'main' },
          log_path: 'main.log',
          linux: {
            security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
          },
        },
        sandbox_config: sandboxConfig,
      });
      await call('StartContainer', { container_id: containerId });
      return { sandboxId, containerId };
    },
    async runToExit(pod, image, command) {
      const { sandboxId, containerId } = await this.run(pod, image, command);
      let exitCode = -1;
      await waitUntil(
        `container ${containerId} to exit`,
        async () => {
          const { status } = await call<{ status: { state: string; exit_code: number } }>('ContainerStatus', {
            container_id: containerId,
          });
          exitCode = status.exit_code;
          return status.state === 'CONTAINER_EXITED';
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      return { sandboxId, containerId, exitCode };
    },
    async removePod(sandboxId) {
      await call('StopPodSandbox', { pod_sandbox_id: sandboxId });
      await call('RemovePodSandbox', { pod_sandbox_id: sandboxId });
      pods.delete(sandboxId);
    },
    async removeAll() {
      for (const sandboxId of [...pods]) await this.removePod(sandboxId);
    },
    close() {
      client.close();
    },
  };
}
