import type { Bitfield } from "../wire/mod.ts";

/**
 * How many connected peers have each piece: what rarest-first dealing
 * reads. A peer's pieces are counted when it joins, each `have` as it
 * comes, and taken away when it leaves or sends a new bitfield.
 */
export class PieceAvailability {
  readonly #counts: Uint32Array;
  /** The bitfield counted for each peer: a `have` mutates it only through {@link gained}. */
  readonly #counted = new Map<number, Bitfield>();

  /**
   * @example
   * ```ts
   * const availability = new PieceAvailability(torrent.pieceCount);
   * ```
   */
  constructor(pieceCount: number) {
    this.#counts = new Uint32Array(pieceCount);
  }

  /** Connected peers that have piece `index`. */
  of(index: number): number {
    return this.#counts[index];
  }

  /** Peer `id` joined with these pieces, or sent a bitfield that replaces what it had. */
  setPeer(id: number, have: Bitfield): void {
    this.removePeer(id);
    this.#counted.set(id, have);
    this.#add(have, 1);
  }

  /** Peer `id` said it has piece `index` (call before its bitfield is set). */
  gained(id: number, index: number): void {
    const have = this.#counted.get(id);
    if (have && !have.has(index)) this.#counts[index]++;
  }

  /** Peer `id` left: its pieces no longer count. */
  removePeer(id: number): void {
    const have = this.#counted.get(id);
    if (!have) return;
    this.#counted.delete(id);
    this.#add(have, -1);
  }

  #add(have: Bitfield, change: 1 | -1): void {
    if (have.count === 0) return;
    for (let index = 0; index < this.#counts.length; index++) {
      if (have.has(index)) this.#counts[index] += change;
    }
  }
}
