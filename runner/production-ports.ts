// Builds the production adapters of a node pass from config: the Kubernetes API
// (kubeconfig file for local use, else the in-cluster ServiceAccount), the node's image
// runtime (the CRI or the Docker Engine API on the socket selection.ts picks from the node's
// containerRuntimeVersion), and one registry client per credential set.

import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../core/clock.ts';
import type { Config } from '../core/config/schema.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialStore } from '../core/registry/credentials.ts';
import { ecrSourceFromConfig, registryClientFor } from '../core/registry/fromConfig.ts';
import type { RegistryClient } from '../core/registry/RegistryClient.ts';
import { KubeClusterReader } from './cluster/KubeClusterReader.ts';
import type { NodePassPorts } from './node-pass.ts';
import { CriImageRuntime } from './runtime/CriImageRuntime.ts';
import { DockerImageRuntime } from './runtime/DockerImageRuntime.ts';
import type { NodeRuntimeFacts } from './runtime/node-capacity.ts';
import { selectRuntime } from './runtime/selection.ts';

export function loadKubeConfig(kubeconfigFile: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kubeconfigFile) kc.loadFromFile(kubeconfigFile);
    else kc.loadFromCluster();
  } catch (error) {
    throw new ConfigError(
      kubeconfigFile
        ? `runner.kubeconfig: cannot load ${kubeconfigFile}: ${errorMessage(error)}`
        : `runner.kubeconfig is unset and the in-cluster ServiceAccount is unusable: ${errorMessage(error)}`,
      [],
      { cause: error },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigError(
      `runner.kubeconfig: ${kubeconfigFile ?? 'in-cluster config'} names no current cluster`,
    );
  }
  return kc;
}

export function productionPorts(config: Config, logger: Logger): NodePassPorts {
  const clients = new Map<string, RegistryClient>();
  return {
    cluster: new KubeClusterReader({ kubeConfig: loadKubeConfig(config.runner.kubeconfig), logger }),
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
