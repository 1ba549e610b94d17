import { WireError } from "./errors.ts";

/**
 * Which pieces a peer has: bit 7 of byte 0 is piece 0 (BEP 3). Spare bits
 * past the last piece are always zero.
 */
export class Bitfield {
  readonly bytes: Uint8Array;
  #count = 0;

  /**
   * @example
   * ```ts
   * const have = new Bitfield(torrent.pieceCount);
   * ```
   */
  constructor(readonly size: number, bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(Math.ceil(size / 8));
    for (let i = 0; i < size; i++) if (this.has(i)) this.#count++;
  }

  /**
   * Reads a peer's bitfield message payload.
   *
   * @throws {WireError} when its length is wrong or spare bits are set.
   * @example
   * ```ts
   * Bitfield.fromPayload(payload, torrent.pieceCount);
   * ```
   */
  static fromPayload(payload: Uint8Array, size: number): Bitfield {
    const expected = Math.ceil(size / 8);
    if (payload.length !== expected) {
      throw new WireError(
        `bitfield of ${payload.length} bytes for ${size} pieces (want ${expected})`,
      );
    }
    const spareBits = expected * 8 - size;
    if (spareBits > 0 && (payload[expected - 1] & ((1 << spareBits) - 1)) !== 0) {
      throw new WireError("bitfield has spare bits set");
    }
    return new Bitfield(size, payload.slice());
  }

  /**
   * A bitfield with every piece set (a seeder's, or a peer's have-all).
   *
   * @example
   * ```ts
   * Bitfield.full(torrent.pieceCount).complete; // true
   * ```
   */
  static full(size: number): Bitfield {
    const bitfield = new Bitfield(size);
    for (let index = 0; index < size; index++) bitfield.set(index);
    return bitfield;
  }

  /** Number of pieces set. */
  get count(): number {
    return this.#count;
  }

  /** True when every piece is set. */
  get complete(): boolean {
    return this.#count === this.size;
  }

  /** True if piece `index` is set. */
  has(index: number): boolean {
    return (this.bytes[index >> 3] & (0x80 >> (index & 7))) !== 0;
  }

  /** Sets piece `index`. */
  set(index: number): void {
    if (this.has(index)) return;
    this.bytes[index >> 3] |= 0x80 >> (index & 7);
    this.#count++;
  }

  /** Clears piece `index`. */
  clear(index: number): void {
    if (!this.has(index)) return;
    this.bytes[index >> 3] &= ~(0x80 >> (index & 7));
    this.#count--;
  }
}
