// Where a node pass's registry credentials come from: the pull secrets the fan-out handed over
// with the desired set (no Secret read by the node), or, for a pass started by hand, the API.
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { loadPullCredentials, type PullCredentials } from '../pull-credentials.ts';
import type { DesiredResult } from './collect-desired.ts';
import { HandedSecretReader } from './HandedSecretReader.ts';

export async function pullCredentialsFor(
  cluster: ClusterReader,
  desired: DesiredResult,
  options: Parameters<typeof loadPullCredentials>[2],
  logger: Logger,
): Promise<PullCredentials> {
  const { handed } = desired;
  if (!handed) return loadPullCredentials(cluster, desired.images, options, logger);
  const credentials = await loadPullCredentials(
    new HandedSecretReader(handed.secrets),
    desired.images,
    options,
    logger,
  );
  // what the fan-out could not read (a missing secret, a 403) is this node's problem to report
  for (const problem of handed.secretProblems) {
    logger.warn(
      { pullSecret: problem.secret, problem: problem.message },
      'pull secret unusable; its images are tried without it',
    );
  }
  credentials.problems.unshift(...handed.secretProblems);
  return credentials;
}
