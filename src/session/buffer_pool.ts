/** Bytes of spare buffers kept for reuse, at most: a few pieces. */
export const MAX_POOLED_BYTES = 8 * 1024 * 1024;

/**
 * Reusable byte buffers. A download allocates a piece buffer per piece and
 * a seed a frame per 16 KiB block; reusing them keeps gigabytes from piling
 * up as garbage between collections (it did: 100 MB of it).
 */
export class BufferPool {
  readonly #free: Uint8Array[] = [];
  #freeBytes = 0;

  /**
   * @example
   * ```ts
   * const frames = new BufferPool(4 * 1024 * 1024);
   * ```
   */
  constructor(readonly maxBytes: number = MAX_POOLED_BYTES) {}

  /**
   * A buffer of exactly `size` bytes (contents undefined).
   *
   * @example
   * ```ts
   * const buffer = pool.take(pieceLength);
   * ```
   */
  take(size: number): Uint8Array {
    const at = this.#free.findIndex((buffer) => buffer.buffer.byteLength >= size);
    if (at < 0) return new Uint8Array(size);
    const buffer = this.#free[at];
    this.#free[at] = this.#free[this.#free.length - 1];
    this.#free.pop();
    this.#freeBytes -= buffer.buffer.byteLength;
    return new Uint8Array(buffer.buffer, 0, size);
  }

  /** Returns a buffer no one uses any more. */
  give(buffer: Uint8Array): void {
    if (this.#freeBytes + buffer.buffer.byteLength > this.maxBytes) return;
    this.#free.push(buffer);
    this.#freeBytes += buffer.buffer.byteLength;
  }
}
