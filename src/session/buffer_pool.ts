/** Spare buffers kept for reuse, at most. */
export const MAX_POOLED_BUFFERS = 32;

/**
 * Reusable byte buffers. A download allocates a piece buffer per piece;
 * reusing them keeps a gigabyte's worth of pieces from piling up as
 * garbage between collections (it did: 100 MB of it).
 */
export class BufferPool {
  readonly #free: Uint8Array[] = [];

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
    const [buffer] = this.#free.splice(at, 1);
    return new Uint8Array(buffer.buffer, 0, size);
  }

  /** Returns a buffer no one uses any more. */
  give(buffer: Uint8Array): void {
    if (this.#free.length < MAX_POOLED_BUFFERS) this.#free.push(buffer);
  }
}
