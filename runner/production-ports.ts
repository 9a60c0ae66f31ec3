// Builds the production adapters of a node pass from config: the Kubernetes API
// (kubeconfig in the order of cluster/kubeconfig.ts: in a pod, its ServiceAccount), the node's
// image runtime (the CRI or the Docker Engine API on the socket selection.ts picks from the
// node's containerRuntimeVersion), and one registry client per credential set.

import { systemClock } from '../core/clock.ts';
import type { Config } from '../core/config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialStore } from '../core/registry/credentials.ts';
import { ecrSourceFromConfig, registryClientFor } from '../core/registry/fromConfig.ts';
import type { RegistryClient } from '../core/registry/RegistryClient.ts';
import { KubeClusterReader } from './cluster/KubeClusterReader.ts';
import { loadKubeConfig } from './cluster/kubeconfig.ts';
import type { NodePassPorts } from './node-pass.ts';
import { CriImageRuntime } from './runtime/CriImageRuntime.ts';
import { DockerImageRuntime } from './runtime/DockerImageRuntime.ts';
import type { NodeRuntimeFacts } from './runtime/node-capacity.ts';
import { selectRuntime } from './runtime/selection.ts';

export function productionPorts(config: Config, logger: Logger, env: NodeJS.ProcessEnv): NodePassPorts {
  const clients = new Map<string, RegistryClient>();
  return {
    cluster: new KubeClusterReader({
      kubeConfig: loadKubeConfig({ key: 'runner.kubeconfig', file: config.runner.kubeconfig }, { env }),
      logger,
    }),
    runtimeFor: (node: NodeRuntimeFacts) => {
      const selection = selectRuntime(
        config.runner.runtime,
        config.runner.socket,
        node.containerRuntimeVersion,
      );
      logger.info(
        { adapter: selection.adapter, socket: selection.socket, reason: selection.reason },
        'image runtime selected',
      );
      const runtime =
        selection.adapter === 'cri'
          ? new CriImageRuntime({
              socket: selection.socket,
              ...(node.capacityBytes !== undefined ? { capacityBytes: node.capacityBytes } : {}),
            })
          : new DockerImageRuntime({
              socketPath: selection.socket,
              imageStorePath: config.runner.imageStorePath,
            });
      return { runtime, selection };
    },
    registryFor: (key: string, credentials: CredentialStore) => {
      let client = clients.get(key);
      if (!client) {
        client = registryClientFor(config, credentials, logger);
        clients.set(key, client);
      }
      return client;
    },
    // Amazon ECR tokens for hosts no pull secret covers (undefined when registry.ecr is off)
    ambientCredentials: ecrSourceFromConfig(config, logger),
    logger,
    clock: systemClock,
  };
}
