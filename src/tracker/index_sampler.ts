/**
 * Picks `count` distinct integers below `total` uniformly at random, in
 * `count` draws however large `total` is (Robert Floyd's algorithm), and
 * allocates nothing once warm: the tracker picks for every announce. The
 * numbers drawn so far are kept in an open-addressing set whose entries
 * carry the number of the pick they belong to, so a new pick empties it by
 * counting up.
 */
export class IndexSampler {
  readonly #random: () => number;
  #values = new Int32Array(0);
  #stamps = new Uint32Array(0);
  #stamp = 0;
  #shift = 0;

  /**
   * @param random uniform in [0, 1), as `Math.random`
   * @example
   * ```ts
   * const sampler = new IndexSampler();
   * ```
   */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /**
   * Writes `count` (at most `total`) distinct integers from 0 to
   * `total - 1` into `out` from `offset`, in no particular order.
   *
   * @example
   * ```ts
   * sampler.sample(swarmSize, 50, picked, 0);
   * ```
   */
  sample(total: number, count: number, out: Int32Array, offset: number): void {
    if (count > total) throw new RangeError(`cannot pick ${count} of ${total}`);
    this.#reset(count);
    for (let j = total - count; j < total; j++) {
      let pick = Math.floor(this.#random() * (j + 1));
      // j itself cannot have been drawn yet: earlier draws were all below it.
      if (!this.#add(pick)) {
        pick = j;
        this.#add(j);
      }
      out[offset++] = pick;
    }
  }

  /** Empties the set, with room for `count` numbers at most half full. */
  #reset(count: number): void {
    const size = Math.max(16, 2 ** Math.ceil(Math.log2(count * 2)));
    if (this.#values.length < size) {
      this.#values = new Int32Array(size);
      this.#stamps = new Uint32Array(size);
      this.#shift = 32 - Math.log2(size);
      this.#stamp = 0;
    }
    if (++this.#stamp === 2 ** 32) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
  }

  /** Adds `value` to the set; false if it was there already. */
  #add(value: number): boolean {
    const mask = this.#values.length - 1;
    for (let at = Math.imul(value, 0x9e3779b1) >>> this.#shift;; at = (at + 1) & mask) {
      if (this.#stamps[at] !== this.#stamp) {
        this.#stamps[at] = this.#stamp;
        this.#values[at] = value;
        return true;
      }
      if (this.#values[at] === value) return false;
    }
  }
}
