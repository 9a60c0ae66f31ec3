// Builds the production adapters of a node pass from config: the Kubernetes API
// (kubeconfig in the order of cluster/kubeconfig.ts: in a pod, its ServiceAccount), Docker Engine on its
// socket, and one registry client per credential set.

import { systemClock } from '../core/clock.ts';
import type { Config } from '../core/config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialStore } from '../core/registry/credentials.ts';
import { registryClientFor } from '../core/registry/fromConfig.ts';
import type { RegistryClient } from '../core/registry/RegistryClient.ts';
import { KubeClusterReader } from './cluster/KubeClusterReader.ts';
import { loadKubeConfig } from './cluster/kubeconfig.ts';
import type { NodePassPorts } from './node-pass.ts';
import { DockerImageRuntime } from './runtime/DockerImageRuntime.ts';
import { DEFAULT_SOCKETS } from './runtime/selection.ts';

export function productionPorts(config: Config, logger: Logger, env: NodeJS.ProcessEnv): NodePassPorts {
  const clients = new Map<string, RegistryClient>();
  return {
    cluster: new KubeClusterReader({
      kubeConfig: loadKubeConfig({ key: 'runner.kubeconfig', file: config.runner.kubeconfig }, { env }),
      logger,
    }),
    runtime: new DockerImageRuntime({ socketPath: config.runner.socket ?? DEFAULT_SOCKETS.docker }),
    registryFor: (key: string, credentials: CredentialStore) => {
      let client = clients.get(key);
      if (!client) {
        client = registryClientFor(config, credentials, logger);
        clients.set(key, client);
      }
      return client;
    },
    logger,
    clock: systemClock,
  };
}
