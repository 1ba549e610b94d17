/**
 * A fixed-size ring of stream bytes addressed by their offset in the
 * stream: what a uTP connection has written but not yet had acknowledged,
 * or has received in order but not yet handed to its reader. Nothing is
 * allocated after construction.
 */
export class ByteRing {
  readonly #bytes: Uint8Array;
  /** Stream offset of the oldest byte held. */
  #start = 0;
  /** Stream offset one past the newest byte held. */
  #end = 0;

  constructor(readonly capacity: number) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Offset of the oldest byte held. */
  get start(): number {
    return this.#start;
  }

  /** Offset one past the newest byte held. */
  get end(): number {
    return this.#end;
  }

  /** Bytes held. */
  get size(): number {
    return this.#end - this.#start;
  }

  /** Room left. */
  get free(): number {
    return this.capacity - this.size;
  }

  /** Appends as much of `source` as fits; returns how much. */
  push(source: Uint8Array): number {
    const count = Math.min(source.length, this.free);
    let copied = 0;
    while (copied < count) {
      const at = (this.#end + copied) % this.capacity;
      const run = Math.min(count - copied, this.capacity - at);
      this.#bytes.set(source.subarray(copied, copied + run), at);
      copied += run;
    }
    this.#end += count;
    return count;
  }

  /** Copies `length` bytes held from stream offset `offset` into `target` at `into`. */
  copyOut(offset: number, target: Uint8Array, into: number, length: number): void {
    let copied = 0;
    while (copied < length) {
      const at = (offset + copied) % this.capacity;
      const run = Math.min(length - copied, this.capacity - at);
      target.set(this.#bytes.subarray(at, at + run), into + copied);
      copied += run;
    }
  }

  /** Forgets every byte before stream offset `offset`. */
  dropTo(offset: number): void {
    this.#start = Math.min(Math.max(this.#start, offset), this.#end);
  }

  /** Moves up to `target.length` of the oldest bytes into `target`; returns how many. */
  take(target: Uint8Array): number {
    const count = Math.min(target.length, this.size);
    this.copyOut(this.#start, target, 0, count);
    this.#start += count;
    return count;
  }
}
