// The image the node Jobs run: `runner.fanout.image` when set (an explicit override), else the
// fan-out pod's own image, read once per tick from its Pod object (POD_NAME and POD_NAMESPACE
// come from the downward API). The running digest (status.containerStatuses[].imageID) is
// preferred to the spec's tag, so every node runs exactly the bits the fan-out runs even when
// the tag moved since the fan-out's pod started; the digest is put on the spec's repository,
// because a runtime may report the digest under another name it holds the same image as
// (one the node Jobs' imagePullSecrets do not cover).
import { z } from 'zod';
import { ConfigError, errorMessage, ValidationError } from '../../core/errors.ts';
import { tryParseImageReference } from '../../core/image-reference.ts';
import type { JobScheduler } from './JobScheduler.ts';

/** The fan-out's own pod, named by the downward API. */
export interface SelfPod {
  namespace: string;
  name: string;
}

/** The container of the fan-out pod that runs the fan-out (infra/base and Terraform name it so). */
export const FANOUT_CONTAINER = 'fanout';

/** The slice of a Pod this step reads. */
export const SelfPodObject = z.object({
  spec: z.object({
    containers: z.array(z.object({ name: z.string(), image: z.string().min(1).optional() })).min(1),
  }),
  status: z
    .object({
      containerStatuses: z.array(z.object({ name: z.string(), imageID: z.string().optional() })).optional(),
    })
    .optional(),
});
export type SelfPodObject = z.infer<typeof SelfPodObject>;

export interface RunnerImage {
  image: string;
  /** Where it came from: the config override, the running digest, or the pod spec (no digest known). */
  source: 'config' | 'pod-digest' | 'pod-spec';
}

/** Thrown when the fan-out's own pod cannot tell its image (not readable, no such container). */
export class RunnerImageError extends ValidationError {
  override name = 'RunnerImageError';
}

/**
 * Throws ConfigError (before any API call) when neither the config nor the pod's name is
 * there: outside a pod, `runner.fanout.image` is the only way to know the image.
 */
export function checkRunnerImageSource(configured: string | undefined, self: SelfPod | undefined): void {
  if (configured !== undefined || self !== undefined) return;
  throw new ConfigError('the node Jobs have no image', [
    'runner.fanout.image: not set, and the fan-out cannot read its own pod (POD_NAME and POD_NAMESPACE, ' +
      'set from the downward API in infra/base and Terraform, are not in the environment); ' +
      'set runner.fanout.image when running the fan-out outside its CronJob',
  ]);
}

/** `repo@sha256:...` from a containerStatuses imageID (`docker-pullable://` and similar prefixes dropped), else undefined. */
export function runningDigest(imageID: string | undefined): string | undefined {
  if (imageID === undefined) return undefined;
  const parsed = tryParseImageReference(imageID.replace(/^[a-z][a-z0-9+.-]*:\/\//, ''));
  const digest = parsed.ok ? parsed.ref.digest : undefined;
  return digest?.startsWith('sha256:') ? digest : undefined;
}

/** The node Jobs' image from a parsed Pod: the running digest on the spec's repository, else the spec's image. */
export function imageOfPod(pod: SelfPodObject, where: string): RunnerImage {
  const { containers } = pod.spec;
  const container =
    containers.find((c) => c.name === FANOUT_CONTAINER) ??
    (containers.length === 1 ? containers[0] : undefined);
  if (container === undefined) {
    throw new RunnerImageError(
      where,
      `no container named "${FANOUT_CONTAINER}" among ${containers.map((c) => `"${c.name}"`).join(', ')}; set runner.fanout.image`,
    );
  }
  if (container.image === undefined)
    throw new RunnerImageError(where, `container "${container.name}" has no image`);
  const spec = tryParseImageReference(container.image);
  // pinned already: that digest is what the operator chose, and what the pod runs
  if (spec.ok && spec.ref.digest !== undefined) return { image: container.image, source: 'pod-spec' };
  const digest = runningDigest(
    pod.status?.containerStatuses?.find((s) => s.name === container.name)?.imageID,
  );
  if (spec.ok && digest !== undefined) return { image: `${spec.ref.name}@${digest}`, source: 'pod-digest' };
  return { image: container.image, source: 'pod-spec' };
}

/** Resolves the node Jobs' image; RunnerImageError naming the pod when it cannot be read. */
export async function resolveRunnerImage(
  scheduler: Pick<JobScheduler, 'getPod'>,
  configured: string | undefined,
  self: SelfPod | undefined,
): Promise<RunnerImage> {
  checkRunnerImageSource(configured, self);
  if (configured !== undefined) return { image: configured, source: 'config' };
  const { namespace, name } = self as SelfPod;
  const where = `the fan-out's own pod ${namespace}/${name}`;
  let raw: unknown;
  try {
    raw = await scheduler.getPod(namespace, name);
  } catch (error) {
    throw new RunnerImageError(
      where,
      `cannot be read for the node Jobs' image (${errorMessage(error)}); grant get on pods in ${namespace} or set runner.fanout.image`,
      { cause: error },
    );
  }
  const parsed = SelfPodObject.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RunnerImageError(
      where,
      `malformed Pod (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not a Pod'})`,
      { cause: parsed.error },
    );
  }
  return imageOfPod(parsed.data, where);
}
