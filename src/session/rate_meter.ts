/** How far back a rate looks: long enough to be steady, short enough to react. */
const WINDOW_MS = 5000;
const BUCKET_MS = 500;
/** A rate is never taken over less than this, so one early block does not look like a flood. */
const MIN_AGE_MS = 50;

/**
 * Bytes per second over the last five seconds, plus the running total.
 */
export class RateMeter {
  readonly #buckets = new Float64Array(WINDOW_MS / BUCKET_MS);
  #bucketStart = 0;
  #total = 0;
  /** When the first bytes were recorded: a young meter divides by its age, not the window. */
  #firstAt: number | undefined;

  constructor(readonly now: () => number = performance.now.bind(performance)) {
    this.#bucketStart = Math.floor(now() / BUCKET_MS);
  }

  /** All bytes ever recorded. */
  get total(): number {
    return this.#total;
  }

  /**
   * The rate counts from now if nothing has been recorded yet: bytes we
   * asked for are measured from the asking, so a peer that takes a second
   * over its first block does not look fast when the block comes.
   */
  begin(): void {
    this.#firstAt ??= this.now();
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
    this.#firstAt ??= this.now();
    this.#advance();
    this.#buckets[this.#bucketStart % this.#buckets.length] += bytes;
    this.#total += bytes;
  }

  /** Bytes per second over the window (or over the meter's age, if younger). */
  rate(): number {
    if (this.#firstAt === undefined) return 0;
    this.#advance();
    let sum = 0;
    for (const bytes of this.#buckets) sum += bytes;
    const seconds = Math.min(WINDOW_MS, Math.max(MIN_AGE_MS, this.now() - this.#firstAt)) / 1000;
    return sum / seconds;
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
