import { pieceSize, type TorrentGeometry } from "../metainfo/mod.ts";
import { BufferPool } from "./buffer_pool.ts";

/**
 * Bytes read from disk at once for uploads: eight 16 KiB blocks, so one read
 * serves a peer's next eight requests, which clients send in order.
 */
export const READ_AHEAD_BYTES = 128 * 1024;
/**
 * Read-ahead buffers kept (2 MiB, whatever the piece length): two for each
 * of the default eight upload slots, since each unchoked peer works through
 * one stretch of one piece at a time.
 */
export const UPLOAD_CACHE_ENTRIES = 16;

interface Entry {
  readonly index: number;
  readonly begin: number;
  readonly end: number;
  readonly data: Promise<Uint8Array>;
  /** Readers between `use` and the end of their callback. */
  pins: number;
  /** Dropped from the cache; its buffer is recycled once unpinned. */
  evicted: boolean;
}

/**
 * Stretches of pieces recently read for uploads, least recently used first
 * out. A request that no stretch holds reads {@link READ_AHEAD_BYTES} from
 * its offset on (never past the piece end), so memory stays a few MiB even
 * for torrents with 16 MiB pieces.
 *
 * Buffers are recycled (a seed reads gigabytes): a stretch is only lent to a
 * callback that copies what it needs at once, and its buffer is reused only
 * after it left the cache and no callback holds it.
 */
export class UploadCache {
  /** In use order, least recent first. */
  readonly #entries = new Set<Entry>();
  readonly #byPiece = new Map<number, Entry[]>();
  readonly #pool = new BufferPool(4 * READ_AHEAD_BYTES);

  /**
   * @example
   * ```ts
   * const cache = new UploadCache(torrent, (index, begin, target) => storage.read(index, begin, target));
   * ```
   */
  constructor(
    readonly geometry: Pick<TorrentGeometry, "pieceLength" | "totalLength">,
    readonly load: (index: number, begin: number, target: Uint8Array) => Promise<void>,
  ) {}

  /**
   * Lends bytes `[begin, begin + length)` of piece `index` (from memory, or
   * read once with what follows) to `consume`, which must copy what it
   * needs before returning. The caller has checked the range lies in the piece.
   *
   * @example
   * ```ts
   * await cache.use(index, begin, length, (block) => peer.send({ type: "piece", index, begin, block }));
   * ```
   */
  async use<T>(
    index: number,
    begin: number,
    length: number,
    consume: (block: Uint8Array) => T,
  ): Promise<T> {
    let entry = this.#byPiece.get(index)?.find((candidate) =>
      candidate.begin <= begin && begin + length <= candidate.end
    );
    if (entry) {
      this.#entries.delete(entry);
      this.#entries.add(entry);
    } else {
      entry = this.#read(index, begin, length);
    }
    entry.pins++;
    this.#evict();
    try {
      const data = await entry.data;
      return consume(data.subarray(begin - entry.begin, begin - entry.begin + length));
    } finally {
      entry.pins--;
      this.#recycle(entry);
    }
  }

  #read(index: number, begin: number, length: number): Entry {
    const end = Math.min(
      pieceSize(this.geometry, index),
      begin + Math.max(length, READ_AHEAD_BYTES),
    );
    const buffer = this.#pool.take(Math.max(end - begin, READ_AHEAD_BYTES)).subarray(
      0,
      end - begin,
    );
    const entry: Entry = {
      index,
      begin,
      end,
      data: this.load(index, begin, buffer).then(() => buffer),
      pins: 0,
      evicted: false,
    };
    // A failed read is not kept: the next request tries the disk again.
    entry.data.catch(() => this.#forget(entry));
    this.#entries.add(entry);
    const inPiece = this.#byPiece.get(index);
    if (inPiece) inPiece.push(entry);
    else this.#byPiece.set(index, [entry]);
    return entry;
  }

  #evict(): void {
    for (const entry of this.#entries) {
      if (this.#entries.size <= UPLOAD_CACHE_ENTRIES) return;
      this.#forget(entry);
      entry.evicted = true;
      this.#recycle(entry);
    }
  }

  #forget(entry: Entry): void {
    this.#entries.delete(entry);
    const inPiece = this.#byPiece.get(entry.index) ?? [];
    const at = inPiece.indexOf(entry);
    if (at >= 0) inPiece.splice(at, 1);
    if (inPiece.length === 0) this.#byPiece.delete(entry.index);
  }

  #recycle(entry: Entry): void {
    if (!entry.evicted || entry.pins > 0) return;
    entry.data.then((buffer) => this.#pool.give(buffer), () => {});
  }
}
