// One pull with a timeout per attempt and retries (exponential backoff, full jitter) for
// transient failures. Auth and not-found failures are final. The run's signal (SIGTERM)
// aborts the pull in flight; the daemon cancels it when the API connection closes.
import { UpstreamError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { RegistryCredentials } from '../core/registry/credentials.ts';
import { retry } from '../core/retry.ts';
import { retryable } from '../core/retryable.ts';
import type { ImageRuntime, ManifestLayer, PullOutcome } from './runtime/ImageRuntime.ts';

export interface PullImageOptions {
  credentials: RegistryCredentials | undefined;
  /** The manifest's layers, for the adapter's byte count. */
  layers?: readonly ManifestLayer[];
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger: Logger;
}

export class PullTimeoutError extends UpstreamError {
  override name = 'PullTimeoutError';
}

export async function pullWithRetry(
  runtime: ImageRuntime,
  reference: string,
  options: PullImageOptions,
): Promise<PullOutcome & { attempts: number }> {
  let attempts = 0;
  const outcome = await retry(
    async () => {
      attempts += 1;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        return await runtime.pullImage(reference, {
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.layers ? { layers: options.layers } : {}),
          signal,
        });
      } catch (error) {
        if (timeout.aborted && !options.signal?.aborted) {
          throw new PullTimeoutError(
            'container runtime',
            `pull ${reference} timed out after ${options.timeoutMs} ms`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
    {
      attempts: options.retries + 1,
      baseMs: 1000,
      maxMs: 30_000,
      retryable,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
      onRetry: (error, attempt, delayMs) =>
        options.logger.warn(
          { image: reference, attempt, delayMs, err: error instanceof Error ? error.message : String(error) },
          'pull failed; retrying',
        ),
    },
  );
  return { ...outcome, attempts };
}
