import { type Clock, sleep, systemClock } from "./clock.ts";

/**
 * A token bucket: `take(bytes)` resolves when sending that many bytes keeps
 * the average at or under `bytesPerSecond`, allowing bursts of one second.
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
  constructor(readonly bytesPerSecond: number, readonly clock: Clock = systemClock) {
    this.#tokens = bytesPerSecond;
    this.#last = clock.now();
  }

  /** Waits until `bytes` may be sent. Callers are served in order. */
  take(bytes: number): Promise<void> {
    const turn = this.#queue.then(async () => {
      this.#refill();
      if (this.#tokens < bytes) {
        await sleep(this.clock, ((bytes - this.#tokens) / this.bytesPerSecond) * 1000);
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
      this.bytesPerSecond,
      this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond,
    );
    this.#last = now;
  }
}
