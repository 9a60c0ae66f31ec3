// Registry credentials for each desired image: the workloads' imagePullSecrets (read once
// each from the API: kubernetes.io/dockerconfigjson or the legacy dockercfg), over a mounted
// dockerconfigjson. A secret that is missing or holds broken JSON is counted and reported;
// the images it was meant for are tried with what remains (often anonymously). Hosts still
// without credentials are then asked of the ambient source (Amazon ECR tokens from the node's
// or pod's IAM identity), once per host for the pass; a refusal there is reported the same way.
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { CredentialSource } from '../core/registry/CredentialSource.ts';
import { CredentialStore, type RegistryCredentials } from '../core/registry/credentials.ts';
import type { ClusterReader } from './cluster/ClusterReader.ts';
import type { DesiredImage, PullSecretRef } from './desired/desired-set.ts';

export interface SecretProblem {
  secret: string;
  message: string;
}

export interface PullCredentials {
  /** The store for this image: its own secrets win over the mounted config. */
  storeFor(image: DesiredImage): CredentialStore;
  /** Stable key of the credential set, so one registry client serves images sharing it. */
  keyFor(image: DesiredImage): string;
  credentialsFor(image: DesiredImage): RegistryCredentials | undefined;
  problems: SecretProblem[];
}

const secretId = (ref: PullSecretRef): string => `${ref.namespace}/${ref.name}`;

function secretJson(data: Record<string, string>): string | undefined {
  const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');
  if (data['.dockerconfigjson'] !== undefined) return decode(data['.dockerconfigjson']);
  if (data['.dockercfg'] !== undefined) {
    // the legacy format is the `auths` map itself
    const inner = decode(data['.dockercfg']);
    return `{"auths":${inner}}`;
  }
  return undefined;
}

export async function loadPullCredentials(
  cluster: ClusterReader,
  images: readonly DesiredImage[],
  options: { dockerConfigFile?: string; readSecrets?: boolean; ambient?: CredentialSource | undefined },
  logger: Logger,
): Promise<PullCredentials> {
  // with secret reading off only the mounted config counts (no cluster-wide Secret access)
  const readSecrets = options.readSecrets ?? true;
  const problems: SecretProblem[] = [];
  let mounted = CredentialStore.empty();
  if (options.dockerConfigFile) {
    try {
      mounted = await CredentialStore.fromDockerConfigFile(options.dockerConfigFile);
    } catch (error) {
      problems.push({ secret: options.dockerConfigFile, message: errorMessage(error) });
    }
  }
  // pods running as a service account get its imagePullSecrets too (admission copies them)
  const accountSecrets = new Map<string, PullSecretRef[]>();
  const accounts = new Map<string, PullSecretRef>();
  if (readSecrets) {
    for (const image of images) for (const ref of image.serviceAccounts) accounts.set(secretId(ref), ref);
  }
  for (const [id, ref] of accounts) {
    try {
      const account = await cluster.getServiceAccount(ref.namespace, ref.name);
      const names = (account?.imagePullSecrets ?? []).flatMap((s) => (s.name ? [s.name] : []));
      accountSecrets.set(
        id,
        names.map((name) => ({ namespace: ref.namespace, name })),
      );
    } catch (error) {
      problems.push({ secret: `serviceaccount ${id}`, message: errorMessage(error) });
    }
  }
  const secretsOf = (image: DesiredImage): PullSecretRef[] => [
    ...(readSecrets ? image.pullSecrets : []),
    ...image.serviceAccounts.flatMap((ref) => accountSecrets.get(secretId(ref)) ?? []),
  ];

  const secrets = new Map<string, CredentialStore>();
  const wanted = new Map<string, PullSecretRef>();
  for (const image of images) for (const ref of secretsOf(image)) wanted.set(secretId(ref), ref);
  for (const [id, ref] of wanted) {
    try {
      const secret = await cluster.getSecret(ref.namespace, ref.name);
      if (!secret) {
        problems.push({ secret: id, message: 'pull secret not found' });
        continue;
      }
      const json = secretJson(secret.data ?? {});
      if (json === undefined) {
        problems.push({
          secret: id,
          message: `secret of type ${secret.type ?? '?'} holds no .dockerconfigjson`,
        });
        continue;
      }
      secrets.set(id, CredentialStore.fromDockerConfig(json, `pull secret ${id}`));
    } catch (error) {
      problems.push({ secret: id, message: errorMessage(error) });
    }
  }
  // the images' own stores win; the ambient source only fills hosts none of them covers
  const ambient = new Map<string, RegistryCredentials>();
  if (options.ambient) {
    const bare = new Set<string>();
    for (const image of images) {
      const own = CredentialStore.merge(
        mounted,
        ...secretsOf(image).flatMap((ref) => secrets.get(secretId(ref)) ?? []),
      );
      if (own.get(image.ref.domain) === undefined) bare.add(image.ref.domain);
    }
    for (const host of bare) {
      try {
        const found = await options.ambient.lookup(host);
        if (found) ambient.set(host, found);
      } catch (error) {
        problems.push({ secret: `registry credentials for ${host}`, message: errorMessage(error) });
      }
    }
  }
  for (const problem of problems) {
    logger.warn(
      { pullSecret: problem.secret, problem: problem.message },
      'pull secret unusable; its images are tried without it',
    );
  }
  const cache = new Map<string, CredentialStore>();
  const keyFor = (image: DesiredImage) =>
    [...new Set(secretsOf(image).map(secretId))]
      .filter((id) => secrets.has(id))
      .sort()
      .join(',');
  const storeFor = (image: DesiredImage) => {
    const key = keyFor(image);
    let store = cache.get(key);
    if (!store) {
      const own = key === '' ? [] : key.split(',').map((id) => secrets.get(id) as CredentialStore);
      // later stores win: the image's own secrets over the mounted config
      store = CredentialStore.merge(new CredentialStore(ambient), mounted, ...own.reverse());
      cache.set(key, store);
    }
    return store;
  };
  return {
    storeFor,
    keyFor,
    credentialsFor: (image) => storeFor(image).get(image.ref.domain),
    problems,
  };
}
