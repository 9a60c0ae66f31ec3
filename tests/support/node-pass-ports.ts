// The node pass's ports as the runner tests give them: one cluster reader, one image runtime
// whatever the node reports, one registry for every credential set, a silent logger and no
// waiting between retries.
import type { Clock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import type { ClusterReader } from '../../runner/cluster/ClusterReader.ts';
import { fixedRuntime, type NodePassPorts } from '../../runner/node-pass.ts';
import type { ImageRuntime } from '../../runner/runtime/ImageRuntime.ts';

export function testNodePassPorts(parts: {
  cluster: ClusterReader;
  runtime: ImageRuntime;
  registry: ReturnType<NodePassPorts['registryFor']>;
  clock: Clock;
}): NodePassPorts {
  return {
    cluster: parts.cluster,
    runtimeFor: fixedRuntime(parts.runtime),
    registryFor: () => parts.registry,
    logger: silentLogger(),
    clock: parts.clock,
    sleep: async () => {},
  };
}
