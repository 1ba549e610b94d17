import { type Clock, sleep, systemClock } from "./clock.ts";

/**
 * A token bucket: `take(bytes)` resolves when moving that many bytes keeps
 * the average at or under `bytesPerSecond`, allowing bursts of
 * `burstSeconds` (one by default). A take larger than the bucket is let
 * through once the bucket is full and leaves it in debt, which later takes
 * wait out: the average holds whatever the sizes.
 */
export class RateLimiter {
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  /**
   * @example
   * ```ts
   * const limiter = new RateLimiter(2 * 1024 * 1024);
   * await limiter.take(16384);
   * ```
   */
  constructor(
    readonly bytesPerSecond: number,
    readonly clock: Clock = systemClock,
    readonly burstSeconds = 1,
  ) {
    this.#tokens = this.#capacity;
    this.#last = clock.now();
  }

  get #capacity(): number {
    return this.bytesPerSecond * this.burstSeconds;
  }

  /** Waits until `bytes` may be sent. Callers are served in order. */
  take(bytes: number): Promise<void> {
    const turn = this.#queue.then(async () => {
      this.#refill();
      const needed = Math.min(bytes, this.#capacity);
      if (this.#tokens < needed) {
        await sleep(this.clock, ((needed - this.#tokens) / this.bytesPerSecond) * 1000);
        this.#refill();
      }
      this.#tokens -= bytes;
    });
    this.#queue = turn;
    return turn;
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(
      this.#capacity,
      this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond,
    );
    this.#last = now;
  }
}
