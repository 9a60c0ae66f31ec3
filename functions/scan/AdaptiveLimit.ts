// A concurrency limit that halves when the other side throttles (429) and creeps back up by
// one after a run of successes (additive increase, multiplicative decrease), never above the
// configured maximum. Requests started before the last decrease were sent at the old limit:
// their 429s say nothing new, so each limit (epoch) is lowered at most once.

export class AdaptiveLimit {
  readonly max: number;
  readonly min: number;
  readonly #recoverAfter: number;
  #current: number;
  #successes = 0;
  #epoch = 0;
  /** Times the limit was lowered. */
  decreases = 0;

  constructor(max: number, options: { min?: number; recoverAfter?: number } = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    this.max = max;
    this.min = Math.min(options.min ?? 1, max);
    this.#recoverAfter = options.recoverAfter ?? max;
    this.#current = max;
  }

  get current(): number {
    return this.#current;
  }

  /** Changes whenever the limit does; pass the value seen when a request started to onThrottle. */
  get epoch(): number {
    return this.#epoch;
  }

  onThrottle(startedInEpoch: number = this.#epoch): void {
    this.#successes = 0;
    if (startedInEpoch !== this.#epoch) return;
    const lowered = Math.max(this.min, Math.floor(this.#current / 2));
    if (lowered < this.#current) {
      this.decreases++;
      this.#epoch++;
    }
    this.#current = lowered;
  }

  onSuccess(): void {
    if (this.#current >= this.max) return;
    if (++this.#successes >= this.#recoverAfter) {
      this.#current++;
      this.#epoch++;
      this.#successes = 0;
    }
  }
}
