// Paces sends to a configured rate (SES sandbox: 1 message/s). Time and sleeping are injected
// so tests check the pacing without waiting.
import type { Clock } from '../../core/clock.ts';

export interface RateLimiterOptions {
  perSecond: number;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
}

export class RateLimiter {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  #next = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions) {
    if (!(options.perSecond > 0))
      throw new RangeError(`send rate must be positive, got ${options.perSecond}`);
    this.#intervalMs = 1000 / options.perSecond;
    this.#clock = options.clock;
    this.#sleep = options.sleep;
  }

  /** Resolves when the next send may start; returns how long it waited. */
  async take(): Promise<number> {
    const now = this.#clock.now().getTime();
    const start = Math.max(now, this.#next);
    this.#next = start + this.#intervalMs;
    const wait = start - now;
    if (wait > 0) await this.#sleep(wait);
    return wait;
  }
}
