import type { TorrentGeometry } from "../metainfo/mod.ts";
import { BufferPool } from "./buffer_pool.ts";

/**
 * Bytes read from disk at once for uploads: eight 16 KiB blocks, so one read
 * serves a peer's next eight requests, which clients send in order.
 */
export const READ_AHEAD_BYTES = 128 * 1024;
/**
 * Read-ahead buffers kept (2 MiB, whatever the piece length): two for each
 * of the default eight upload slots, since each unchoked peer works through
 * one stretch of the data at a time.
 */
export const UPLOAD_CACHE_ENTRIES = 16;

interface Entry {
  /** Torrent offsets `[start, end)` the buffer holds. */
  readonly start: number;
  readonly end: number;
  readonly data: Promise<Uint8Array>;
  /** Readers between `use` and the end of their callback. */
  pins: number;
  /** Dropped from the cache; its buffer is recycled once unpinned. */
  evicted: boolean;
}

/**
 * Stretches of the data recently read for uploads, least recently used
 * first out. A request that no stretch holds reads {@link READ_AHEAD_BYTES}
 * from its offset on, into the following pieces too while they are verified
 * (small pieces are served eight blocks a read as well; data of a piece not
 * yet verified is never read, so never served stale). Memory stays a few
 * MiB even for torrents with 16 MiB pieces.
 *
 * Buffers are recycled (a seed reads gigabytes): a stretch is only lent to a
 * callback that copies what it needs at once, and its buffer is reused only
 * after it left the cache and no callback holds it.
 */
export class UploadCache {
  /** In use order, least recent first. */
  readonly #entries = new Set<Entry>();
  readonly #pool = new BufferPool(4 * READ_AHEAD_BYTES);

  /**
   * @example
   * ```ts
   * const cache = new UploadCache(torrent, (offset, target) => storage.read(offset, target), (index) => have.has(index));
   * ```
   */
  constructor(
    readonly geometry: Pick<TorrentGeometry, "pieceLength" | "totalLength">,
    readonly load: (offset: number, target: Uint8Array) => Promise<void>,
    readonly verified: (index: number) => boolean,
  ) {}

  /**
   * Lends bytes `[begin, begin + length)` of verified piece `index` (from
   * memory, or read once with what follows) to `consume`, which must copy
   * what it needs before returning. The caller has checked the range lies in
   * the piece.
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
    const start = index * this.geometry.pieceLength + begin;
    let entry = this.#holding(start, length);
    if (entry) this.#entries.delete(entry);
    else entry = this.#read(index, start, length);
    this.#entries.add(entry);
    entry.pins++;
    this.#evict();
    try {
      const data = await entry.data;
      return consume(data.subarray(start - entry.start, start - entry.start + length));
    } finally {
      entry.pins--;
      this.#recycle(entry);
    }
  }

  #holding(start: number, length: number): Entry | undefined {
    for (const entry of this.#entries) {
      if (entry.start <= start && start + length <= entry.end) return entry;
    }
    return undefined;
  }

  #read(index: number, start: number, length: number): Entry {
    const { pieceLength, totalLength } = this.geometry;
    let end = Math.min(totalLength, start + Math.max(length, READ_AHEAD_BYTES));
    for (let next = index + 1; next * pieceLength < end; next++) {
      if (!this.verified(next)) end = next * pieceLength;
    }
    const size = end - start;
    const buffer = this.#pool.take(Math.max(size, READ_AHEAD_BYTES)).subarray(0, size);
    const entry: Entry = {
      start,
      end,
      data: this.load(start, buffer).then(() => buffer),
      pins: 0,
      evicted: false,
    };
    // A failed read is not kept: the next request tries the disk again.
    entry.data.catch(() => this.#entries.delete(entry));
    return entry;
  }

  #evict(): void {
    for (const entry of this.#entries) {
      if (this.#entries.size <= UPLOAD_CACHE_ENTRIES) return;
      this.#entries.delete(entry);
      entry.evicted = true;
      this.#recycle(entry);
    }
  }

  #recycle(entry: Entry): void {
    if (!entry.evicted || entry.pins > 0) return;
    entry.data.then((buffer) => this.#pool.give(buffer), () => {});
  }
}
