// The one kubeconfig loading order of every Kubernetes client imagewarden builds (the node
// runner, the fan-out CronJob's pod, the SELinux audit), each step testable on its own:
//   1. the file the config names (runner.kubeconfig, runner.fanout.kubeconfig);
//   2. the in-cluster ServiceAccount, when running in a pod (KUBERNETES_SERVICE_HOST is set);
//   3. $KUBECONFIG (its first file);
//   4. ~/.kube/config.
// In a pod this is what the runner always did (its ServiceAccount); outside one it is what
// kubectl does. A config with no current cluster is refused here, naming where it came from,
// rather than failing on the first API call.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, errorMessage } from '../../core/errors.ts';

export type KubeConfigSource = { kind: 'file'; path: string; from: string } | { kind: 'in-cluster' };

export interface KubeConfigEnvironment {
  env: NodeJS.ProcessEnv;
  home?: string;
  exists?: (path: string) => boolean;
}

/** Where the kubeconfig comes from, in the order above; undefined when nowhere. */
export function kubeConfigSource(
  setting: { key: string; file: string | undefined },
  environment: KubeConfigEnvironment,
): KubeConfigSource | undefined {
  const exists = environment.exists ?? existsSync;
  if (setting.file) return { kind: 'file', path: setting.file, from: setting.key };
  if (environment.env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster' };
  const fromEnv = environment.env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  if (fromEnv) return { kind: 'file', path: fromEnv, from: '$KUBECONFIG' };
  const home = join(environment.home ?? homedir(), '.kube', 'config');
  if (exists(home)) return { kind: 'file', path: home, from: '~/.kube/config' };
  return undefined;
}

/** Loads the kubeconfig for the setting `key` (e.g. `runner.kubeconfig`); a ConfigError says why not. */
export function loadKubeConfig(
  setting: { key: string; file: string | undefined },
  environment: KubeConfigEnvironment,
): KubeConfig {
  const source = kubeConfigSource(setting, environment);
  if (!source) {
    throw new ConfigError(
      `${setting.key} is unset, this is not a pod (no KUBERNETES_SERVICE_HOST), and neither $KUBECONFIG nor ~/.kube/config names a kubeconfig`,
    );
  }
  const kc = new KubeConfig();
  const where = source.kind === 'file' ? `${source.path} (${source.from})` : 'the in-cluster ServiceAccount';
  try {
    if (source.kind === 'file') kc.loadFromFile(source.path);
    else kc.loadFromCluster();
  } catch (error) {
    throw new ConfigError(`${setting.key}: cannot load ${where}: ${errorMessage(error)}`, [], {
      cause: error,
    });
  }
  if (!kc.getCurrentCluster()) throw new ConfigError(`${setting.key}: ${where} names no current cluster`);
  return kc;
}
