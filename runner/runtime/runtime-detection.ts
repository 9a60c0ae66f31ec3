// Does the kubelet see the images we pull? Images pulled through Docker Engine land in
// Docker's store; a kubelet on containerd's CRI reads containerd's store instead, and CRI-O
// shares storage with Podman. Compared once at start from node.status.nodeInfo: a runtime
// that cannot be the kubelet's is an error (pulling would fill a store nobody reads); a node
// that does not say is only a warning.
import type { RuntimeInfo } from './ImageRuntime.ts';

export interface RuntimeMatch {
  /** What the kubelet reports, e.g. `containerd://1.7.2`, `docker://20.10.24`, `cri-o://1.28.1`. */
  kubeletRuntime: string | undefined;
  ours: string;
  /** False when pulls through our runtime cannot be visible to the kubelet. */
  compatible: boolean;
  /** Set when we cannot tell (the node does not report its runtime, the CRI names none). */
  warning: string | undefined;
  /** Set when the runtime cannot be the kubelet's. */
  error: string | undefined;
}

/** Kubelet schemes each of our runtimes can serve. */
function serves(ours: Pick<RuntimeInfo, 'kind' | 'name'>): string[] | undefined {
  switch (ours.kind) {
    // dockershim (<= 1.23) and cri-dockerd both report docker://
    case 'docker':
      return ['docker'];
    // Podman and CRI-O share containers/storage
    case 'podman':
      return ['cri-o'];
    // the CRI's Version names the runtime behind the socket: containerd, cri-o, or docker
    // for cri-dockerd
    case 'cri':
      return ['containerd', 'cri-o', 'docker'].includes(ours.name) ? [ours.name] : undefined;
    default:
      return undefined;
  }
}

function label(ours: Pick<RuntimeInfo, 'kind' | 'name'>): string {
  return ours.kind === 'cri' ? `the CRI of ${ours.name}` : ours.kind;
}

export function compareRuntimes(
  kubeletRuntime: string | undefined,
  ours: Pick<RuntimeInfo, 'kind' | 'name'>,
): RuntimeMatch {
  const base = { kubeletRuntime, ours: label(ours) };
  const scheme = kubeletRuntime?.split('://')[0]?.trim().toLowerCase();
  if (!scheme) {
    return {
      ...base,
      compatible: true,
      warning:
        'the node does not report its container runtime; cannot check that the kubelet sees pulled images',
      error: undefined,
    };
  }
  const schemes = serves(ours);
  if (schemes === undefined) {
    return {
      ...base,
      compatible: true,
      warning: `the CRI runtime calls itself ${JSON.stringify(ours.name)}; cannot check that it is the kubelet's ${kubeletRuntime}`,
      error: undefined,
    };
  }
  if (schemes.includes(scheme)) return { ...base, compatible: true, warning: undefined, error: undefined };
  return {
    ...base,
    compatible: false,
    warning: undefined,
    error:
      `the kubelet uses ${kubeletRuntime} but images would be pulled through ${label(ours)}: ` +
      `the kubelet would not see them; set runner.runtime to auto (or cri / docker to match) ` +
      'and runner.socket to the kubelet runtime’s socket',
  };
}
