/** How far back a rate looks: long enough to be steady, short enough to react. */
const WINDOW_MS = 5000;
const BUCKET_MS = 500;

/**
 * Bytes per second over the last five seconds, plus the running total.
 */
export class RateMeter {
  readonly #buckets = new Float64Array(WINDOW_MS / BUCKET_MS);
  #bucketStart = 0;
  #total = 0;

  constructor(readonly now: () => number = performance.now.bind(performance)) {
    this.#bucketStart = Math.floor(now() / BUCKET_MS);
  }

  /** All bytes ever recorded. */
  get total(): number {
    return this.#total;
  }

  /**
   * Records `bytes` now.
   *
   * @example
   * ```ts
   * meter.add(16384);
   * ```
   */
  add(bytes: number): void {
    this.#advance();
    this.#buckets[this.#bucketStart % this.#buckets.length] += bytes;
    this.#total += bytes;
  }

  /** Bytes per second over the window. */
  rate(): number {
    this.#advance();
    let sum = 0;
    for (const bytes of this.#buckets) sum += bytes;
    return sum / (WINDOW_MS / 1000);
  }

  #advance(): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    const steps = Math.min(bucket - this.#bucketStart, this.#buckets.length);
    for (let i = 1; i <= steps; i++) {
      this.#buckets[(this.#bucketStart + i) % this.#buckets.length] = 0;
    }
    this.#bucketStart = bucket;
  }
}
