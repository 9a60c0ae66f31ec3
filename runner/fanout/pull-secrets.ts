// The registry credentials of every desired set of a tick, read once: each service account the
// wanting pods run as (its imagePullSecrets apply to them) and each pull secret, however many
// nodes want it. What a node Job is handed is then only the secrets its own images name.
// A secret or service account that cannot be read is a problem reported with the images of
// the nodes that need it, as a node pass reports it when it reads them itself.
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { DesiredImage, PullSecretRef } from '../desired/desired-set.ts';
import { type HandedSecrets, type SecretProblem, secretId } from '../desired/handed-set.ts';

/** The only keys handed over: the rest of a Secret's data is none of a node Job's business. */
const PULL_SECRET_KEYS = ['.dockerconfigjson', '.dockercfg'] as const;

export interface TickPullSecrets {
  /** Every secret an image needs, resolved (`namespace/name`), and the problems met on the way. */
  forImage(image: DesiredImage): { ids: string[]; problems: SecretProblem[] };
  /** The handed Secret's content for a set of ids, or undefined when none of them is usable. */
  handedFor(ids: Iterable<string>): HandedSecrets | undefined;
  reads: { serviceAccounts: number; secrets: number };
}

export async function readTickPullSecrets(
  cluster: ClusterReader,
  images: Iterable<DesiredImage>,
  logger: Logger,
): Promise<TickPullSecrets> {
  const problems = new Map<string, SecretProblem>();
  const accounts = new Map<string, PullSecretRef>();
  const wanted = new Map<string, PullSecretRef>();
  const all = [...images];
  for (const image of all) {
    for (const ref of image.serviceAccounts) accounts.set(secretId(ref), ref);
    for (const ref of image.pullSecrets) wanted.set(secretId(ref), ref);
  }
  const accountSecrets = new Map<string, string[]>();
  for (const [id, ref] of accounts) {
    try {
      const account = await cluster.getServiceAccount(ref.namespace, ref.name);
      const names = (account?.imagePullSecrets ?? []).flatMap((s) => (s.name ? [s.name] : []));
      const refs = names.map((name) => ({ namespace: ref.namespace, name }));
      accountSecrets.set(id, refs.map(secretId));
      for (const secret of refs) wanted.set(secretId(secret), secret);
    } catch (error) {
      const problem = { secret: `serviceaccount ${id}`, message: errorMessage(error) };
      problems.set(problem.secret, problem);
    }
  }
  const usable = new Map<string, HandedSecrets['secrets'][string]>();
  for (const [id, ref] of wanted) {
    try {
      const secret = await cluster.getSecret(ref.namespace, ref.name);
      const data = Object.fromEntries(
        PULL_SECRET_KEYS.flatMap((key) =>
          secret?.data?.[key] !== undefined ? [[key, secret.data[key]] as const] : [],
        ),
      );
      if (!secret) problems.set(id, { secret: id, message: 'pull secret not found' });
      else if (Object.keys(data).length === 0)
        problems.set(id, {
          secret: id,
          message: `secret of type ${secret.type ?? '?'} holds no .dockerconfigjson`,
        });
      else usable.set(id, { ...(secret.type ? { type: secret.type } : {}), data });
    } catch (error) {
      problems.set(id, { secret: id, message: errorMessage(error) });
    }
  }
  for (const problem of problems.values()) {
    logger.warn(
      { pullSecret: problem.secret, problem: problem.message },
      'pull secret unusable; the images that name it are handed over without it',
    );
  }
  return {
    forImage(image) {
      const named = [
        ...image.pullSecrets.map(secretId),
        ...image.serviceAccounts.flatMap((ref) => accountSecrets.get(secretId(ref)) ?? []),
      ];
      const keys = [
        ...new Set([...image.serviceAccounts.map((ref) => `serviceaccount ${secretId(ref)}`), ...named]),
      ];
      return {
        ids: [...new Set(named)].filter((id) => usable.has(id)),
        problems: keys.flatMap((key) => {
          const problem = problems.get(key);
          return problem ? [problem] : [];
        }),
      };
    },
    handedFor(ids) {
      const secrets: HandedSecrets['secrets'] = {};
      for (const id of ids) {
        const secret = usable.get(id);
        if (secret) secrets[id] = secret;
      }
      return Object.keys(secrets).length > 0 ? { secrets } : undefined;
    },
    reads: { serviceAccounts: accounts.size, secrets: wanted.size },
  };
}
