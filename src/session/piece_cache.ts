import { BufferPool } from "./buffer_pool.ts";

/** Memory the upload cache may hold: a few whole pieces, whatever the piece length. */
export const PIECE_CACHE_BYTES = 8 * 1024 * 1024;

interface Entry {
  readonly piece: Promise<Uint8Array>;
  /** Readers between `use` and the end of their callback. */
  pins: number;
  /** Dropped from the cache; its buffer is recycled once unpinned. */
  evicted: boolean;
}

/**
 * Whole pieces recently read for uploads, least recently used first out.
 * Peers ask for a piece block by block, and several peers often want the
 * same pieces, so one read serves many requests.
 *
 * Buffers are recycled (a seed reads gigabytes): a piece is only lent to a
 * callback that copies what it needs at once, and its buffer is reused only
 * after it left the cache and no callback holds it.
 */
export class PieceCache {
  readonly #entries = new Map<number, Entry>();
  readonly #capacity: number;
  readonly #pool = new BufferPool();

  /**
   * @example
   * ```ts
   * const cache = new PieceCache(torrent.pieceLength, (index, buffer) => storage.readPiece(index, buffer));
   * ```
   */
  constructor(
    pieceLength: number,
    readonly load: (index: number, buffer: (size: number) => Uint8Array) => Promise<Uint8Array>,
  ) {
    this.#capacity = Math.max(2, Math.floor(PIECE_CACHE_BYTES / pieceLength));
  }

  /**
   * Lends piece `index` (from memory, or read once) to `consume`, which must
   * copy what it needs before returning.
   *
   * @example
   * ```ts
   * await cache.use(index, (piece) => peer.send({ type: "piece", index, begin, block: piece.subarray(begin, end) }));
   * ```
   */
  async use<T>(index: number, consume: (piece: Uint8Array) => T): Promise<T> {
    let entry = this.#entries.get(index);
    if (entry) {
      this.#entries.delete(index);
    } else {
      entry = { piece: this.load(index, (size) => this.#pool.take(size)), pins: 0, evicted: false };
      entry.piece.catch(() => this.#entries.delete(index));
    }
    this.#entries.set(index, entry);
    entry.pins++;
    this.#evict();
    try {
      return consume(await entry.piece);
    } finally {
      entry.pins--;
      this.#recycle(entry);
    }
  }

  #evict(): void {
    while (this.#entries.size > this.#capacity) {
      const [index, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(index);
      entry.evicted = true;
      this.#recycle(entry);
    }
  }

  #recycle(entry: Entry): void {
    if (!entry.evicted || entry.pins > 0) return;
    entry.piece.then((piece) => this.#pool.give(piece), () => {});
  }
}
