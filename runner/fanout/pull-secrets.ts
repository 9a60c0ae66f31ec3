// The registry credentials of the desired sets of a tick, each read at most once: the service
// accounts the wanting pods run as (their imagePullSecrets apply to them) and the pull secrets,
// however many nodes want them. Reads happen on first need and are remembered, so the fan-out
// holds one node's set at a time. What a node Job is handed is only the secrets its own images
// name. A secret or service account that cannot be read is a problem reported with the images
// of the nodes that need it, as a node pass reports it when it reads them itself.
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { DesiredImage } from '../desired/desired-set.ts';
import { type HandedSecrets, type SecretProblem, secretId } from '../desired/handed-set.ts';

/** The only keys handed over: the rest of a Secret's data is none of a node Job's business. */
const PULL_SECRET_KEYS = ['.dockerconfigjson', '.dockercfg'] as const;

type Usable = HandedSecrets['secrets'][string];

export class TickPullSecrets {
  readonly #cluster: ClusterReader;
  readonly #logger: Logger;
  readonly #accounts = new Map<string, Promise<string[] | SecretProblem>>();
  readonly #secrets = new Map<string, Promise<Usable | SecretProblem>>();

  constructor(cluster: ClusterReader, logger: Logger) {
    this.#cluster = cluster;
    this.#logger = logger;
  }

  get reads(): { serviceAccounts: number; secrets: number } {
    return { serviceAccounts: this.#accounts.size, secrets: this.#secrets.size };
  }

  /** Every usable secret an image needs (`namespace/name`), and the problems met on the way. */
  async forImage(image: DesiredImage): Promise<{ ids: string[]; problems: SecretProblem[] }> {
    const problems: SecretProblem[] = [];
    const named = image.pullSecrets.map(secretId);
    for (const ref of image.serviceAccounts) {
      const account = await this.#account(ref.namespace, ref.name);
      if (Array.isArray(account)) named.push(...account);
      else problems.push(account);
    }
    const ids: string[] = [];
    for (const id of new Set(named)) {
      const secret = await this.#secret(id);
      if ('data' in secret) ids.push(id);
      else problems.push(secret);
    }
    return { ids, problems };
  }

  /** The handed Secret's content for a set of ids, or undefined when there is none. */
  async handedFor(ids: Iterable<string>): Promise<HandedSecrets | undefined> {
    const secrets: HandedSecrets['secrets'] = {};
    for (const id of ids) {
      const secret = await this.#secret(id);
      if ('data' in secret) secrets[id] = secret;
    }
    return Object.keys(secrets).length > 0 ? { secrets } : undefined;
  }

  #account(namespace: string, name: string): Promise<string[] | SecretProblem> {
    const id = `${namespace}/${name}`;
    let read = this.#accounts.get(id);
    if (!read) {
      read = this.#cluster.getServiceAccount(namespace, name).then(
        (account) =>
          (account?.imagePullSecrets ?? []).flatMap((s) =>
            s.name ? [secretId({ namespace, name: s.name })] : [],
          ),
        (error: unknown) => this.#problem({ secret: `serviceaccount ${id}`, message: errorMessage(error) }),
      );
      this.#accounts.set(id, read);
    }
    return read;
  }

  #secret(id: string): Promise<Usable | SecretProblem> {
    let read = this.#secrets.get(id);
    if (!read) {
      const [namespace = '', name = ''] = id.split('/', 2);
      read = this.#cluster.getSecret(namespace, name).then(
        (secret) => {
          if (!secret) return this.#problem({ secret: id, message: 'pull secret not found' });
          const data = Object.fromEntries(
            PULL_SECRET_KEYS.flatMap((key) => {
              const value = secret.data?.[key];
              return value !== undefined ? [[key, value] as const] : [];
            }),
          );
          if (Object.keys(data).length === 0)
            return this.#problem({
              secret: id,
              message: `secret of type ${secret.type ?? '?'} holds no .dockerconfigjson`,
            });
          return { ...(secret.type ? { type: secret.type } : {}), data };
        },
        (error: unknown) => this.#problem({ secret: id, message: errorMessage(error) }),
      );
      this.#secrets.set(id, read);
    }
    return read;
  }

  #problem(problem: SecretProblem): SecretProblem {
    this.#logger.warn(
      { pullSecret: problem.secret, problem: problem.message },
      'pull secret unusable; the images that name it are handed over without it',
    );
    return problem;
  }
}
