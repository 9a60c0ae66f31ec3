// A concurrency limit that halves when the other side throttles (429) and creeps back up by
// one after a run of successes (additive increase, multiplicative decrease), never above the
// configured maximum.

export class AdaptiveLimit {
  readonly max: number;
  readonly min: number;
  readonly #recoverAfter: number;
  #current: number;
  #successes = 0;
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

  onThrottle(): void {
    this.#successes = 0;
    const lowered = Math.max(this.min, Math.floor(this.#current / 2));
    if (lowered < this.#current) this.decreases++;
    this.#current = lowered;
  }

  onSuccess(): void {
    if (this.#current >= this.max) return;
    if (++this.#successes >= this.#recoverAfter) {
      this.#current++;
      this.#successes = 0;
    }
  }
}
