// Does the kubelet see the images we pull? Images pulled through Docker Engine land in
// Docker's store; a kubelet on containerd's CRI reads containerd's store instead, and CRI-O
// shares storage with Podman. Compared once at start from node.status.nodeInfo.
import type { RuntimeKind } from './ImageRuntime.ts';

export interface RuntimeMatch {
  /** What the kubelet reports, e.g. `containerd://1.7.2`, `docker://20.10.24`, `cri-o://1.28.1`. */
  kubeletRuntime: string | undefined;
  ours: RuntimeKind;
  /** True when pulls through our runtime are visible to the kubelet (or we cannot tell). */
  compatible: boolean;
  warning: string | undefined;
}

const SERVES: Record<RuntimeKind, string[]> = {
  // dockershim (<= 1.23) and cri-dockerd both report docker://
  docker: ['docker'],
  podman: ['cri-o'],
};

export function compareRuntimes(kubeletRuntime: string | undefined, ours: RuntimeKind): RuntimeMatch {
  const scheme = kubeletRuntime?.split('://')[0]?.toLowerCase();
  if (!scheme) {
    return {
      kubeletRuntime,
      ours,
      compatible: true,
      warning:
        'the node does not report its container runtime; cannot check that the kubelet sees pulled images',
    };
  }
  const compatible = SERVES[ours].includes(scheme);
  return {
    kubeletRuntime,
    ours,
    compatible,
    warning: compatible
      ? undefined
      : `the kubelet uses ${kubeletRuntime} but images are pulled through ${ours}: ` +
        `the kubelet will not see them (${ours === 'docker' ? 'Docker serves docker:// (cri-dockerd) kubelets' : 'Podman serves cri-o:// kubelets'})`,
  };
}
