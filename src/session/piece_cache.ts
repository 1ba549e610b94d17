/** Memory the upload cache may hold: a few whole pieces, whatever the piece length. */
export const PIECE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Whole pieces recently read for uploads, least recently used first out.
 * Peers ask for a piece block by block, and several peers often want the
 * same pieces, so one read serves many requests.
 */
export class PieceCache {
  readonly #entries = new Map<number, Promise<Uint8Array>>();
  readonly #capacity: number;

  /**
   * @example
   * ```ts
   * const cache = new PieceCache(torrent.pieceLength, (index) => storage.readPiece(index));
   * ```
   */
  constructor(pieceLength: number, readonly load: (index: number) => Promise<Uint8Array>) {
    this.#capacity = Math.max(2, Math.floor(PIECE_CACHE_BYTES / pieceLength));
  }

  /** Piece `index`, from memory or read once. */
  get(index: number): Promise<Uint8Array> {
    let entry = this.#entries.get(index);
    if (entry) {
      this.#entries.delete(index);
    } else {
      entry = this.load(index);
      entry.catch(() => this.#entries.delete(index));
    }
    this.#entries.set(index, entry);
    this.#evict();
    return entry;
  }

  #evict(): void {
    while (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
