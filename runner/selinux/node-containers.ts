// The node pass's running containers, inspected a few at a time: one that cannot be inspected
// is counted and logged, and the rest are still checked.
import { mapBounded } from '../../core/concurrency.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ImageRuntime } from '../runtime/ImageRuntime.ts';
import type { InspectedContainer } from './check-containers.ts';

type Listed = Awaited<ReturnType<ImageRuntime['listContainers']>>;

export async function inspectLive(
  containers: Listed,
  runtime: Pick<ImageRuntime, 'inspectContainer'>,
  logger: Logger,
  signal?: AbortSignal,
): Promise<{ details: InspectedContainer[]; inspectFailed: number }> {
  const live = containers.filter((c) => ['running', 'paused', 'restarting'].includes(c.state));
  const inspected = await mapBounded(
    live,
    4,
    (c) => runtime.inspectContainer(c.id),
    signal ? { signal } : {},
  );
  let inspectFailed = 0;
  const details: InspectedContainer[] = [];
  inspected.forEach((outcome, i) => {
    if (outcome.ok && outcome.value) details.push(outcome.value);
    else if (!outcome.ok) {
      inspectFailed++;
      logger.warn({ container: live[i]?.id, err: errorMessage(outcome.error) }, 'cannot inspect container');
    }
  });
  return { details, inspectFailed };
}
