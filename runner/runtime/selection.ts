// Which image runtime a node pass talks to, and on which socket. The kubelet names its
// runtime in node.status.nodeInfo.containerRuntimeVersion (`containerd://1.7.2`,
// `cri-o://1.30.1`, `docker://24.0.7` for cri-dockerd); `runner.runtime: auto` follows it,
// so a mixed cluster gets the right adapter and socket per node. The fan-out uses the same
// answer to mount each node's socket into its Job.

export type RuntimeSetting = 'auto' | 'docker' | 'cri';

/** What the kubelet runs, from the scheme of containerRuntimeVersion. */
export type KubeletRuntime = 'containerd' | 'cri-o' | 'docker' | 'unknown';

export interface RuntimeSelection {
  /** The adapter: the Docker Engine API (Docker, Podman) or the Kubernetes CRI over gRPC. */
  adapter: 'docker' | 'cri';
  /** Unix socket path on the node (and, mounted at the same path, in the Job). */
  socket: string;
  kubelet: KubeletRuntime;
  /** Why this choice, for logs and `--dry-run`. */
  reason: string;
}

export const DEFAULT_SOCKETS = {
  containerd: '/run/containerd/containerd.sock',
  'cri-o': '/var/run/crio/crio.sock',
  docker: '/var/run/docker.sock',
} as const;

export function kubeletRuntimeOf(containerRuntimeVersion: string | undefined): KubeletRuntime {
  const scheme = containerRuntimeVersion?.split('://')[0]?.trim().toLowerCase();
  if (scheme === 'containerd' || scheme === 'cri-o' || scheme === 'docker') return scheme;
  return 'unknown';
}

/**
 * The adapter and socket for one node. `setting` and `socket` come from `runner.runtime` and
 * `runner.socket` (unset: the default socket of the chosen runtime).
 */
export function selectRuntime(
  setting: RuntimeSetting,
  socket: string | undefined,
  containerRuntimeVersion: string | undefined,
): RuntimeSelection {
  const kubelet = kubeletRuntimeOf(containerRuntimeVersion);
  if (setting === 'docker') {
    return {
      adapter: 'docker',
      socket: socket ?? DEFAULT_SOCKETS.docker,
      kubelet,
      reason: 'runner.runtime is docker',
    };
  }
  if (setting === 'cri') {
    const fallback = kubelet === 'cri-o' ? DEFAULT_SOCKETS['cri-o'] : DEFAULT_SOCKETS.containerd;
    return { adapter: 'cri', socket: socket ?? fallback, kubelet, reason: 'runner.runtime is cri' };
  }
  switch (kubelet) {
    case 'containerd':
    case 'cri-o':
      return {
        adapter: 'cri',
        socket: socket ?? DEFAULT_SOCKETS[kubelet],
        kubelet,
        reason: `the kubelet runs ${containerRuntimeVersion}`,
      };
    case 'docker':
      return {
        adapter: 'docker',
        socket: socket ?? DEFAULT_SOCKETS.docker,
        kubelet,
        reason: `the kubelet runs ${containerRuntimeVersion}`,
      };
    default:
      // Most clusters since Kubernetes 1.24 run containerd; a node that does not say is
      // most likely one of them.
      return {
        adapter: 'cri',
        socket: socket ?? DEFAULT_SOCKETS.containerd,
        kubelet,
        reason: 'the node does not report its container runtime; assuming containerd',
      };
  }
}
