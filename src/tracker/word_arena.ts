/**
 * Memory for the swarm registry's peer records: chunks of 32-bit words cut
 * from shared pages, so that ten thousand small swarms cost slices of a few
 * pages rather than ten thousand typed arrays (each of which V8 backs with
 * an allocation and bookkeeping of its own, some half a KiB apiece).
 *
 * @module
 */

/** log2 of the words in a page. */
const PAGE_ORDER = 16;
/** Words in a page (256 KiB): chunks up to this size are cut from pages. */
export const PAGE_WORDS = 1 << PAGE_ORDER;
/** The smallest chunk. */
export const MIN_CHUNK_WORDS = 2;

/** A run of words: `words[base]` to `words[base + size - 1]`, also seen as 16-bit halves. */
export interface Chunk {
  readonly words: Uint32Array;
  /** The same memory as `words`, two entries a word. */
  readonly halves: Uint16Array;
  readonly base: number;
  /** A power of two. */
  readonly size: number;
  /** Which page it was cut from, or -1 for a chunk larger than a page. */
  readonly page: number;
}

/**
 * A buddy allocator: a chunk is a power of two, aligned to its size in its
 * page, and a freed chunk merges with its other half ("buddy") whenever
 * that is free too. So swarms that grow together (each doubling frees the
 * smaller chunks it had) leave whole blocks behind for the next, larger
 * chunks, not a litter of small ones. Pages are kept once made, so memory
 * stays at its high-water mark, as with `malloc`. Chunks larger than a page
 * are typed arrays of their own, left to the garbage collector when freed.
 */
export class WordArena {
  readonly #pages: { words: Uint32Array; halves: Uint16Array }[] = [];
  /** Free blocks by order (log2 of their size), each as page × PAGE_WORDS + base. */
  readonly #free = Array.from({ length: PAGE_ORDER + 1 }, () => new Set<number>());

  /**
   * A chunk of `size` words, a power of two from MIN_CHUNK_WORDS; its
   * contents are whatever was there (zero in a fresh page).
   *
   * @example
   * ```ts
   * const chunk = arena.allocate(8);
   * chunk.words[chunk.base] = 42;
   * ```
   */
  allocate(size: number): Chunk {
    if (size < MIN_CHUNK_WORDS || (size & (size - 1)) !== 0) {
      throw new RangeError(`a chunk is a power of two of at least ${MIN_CHUNK_WORDS} words`);
    }
    if (size > PAGE_WORDS) {
      const words = new Uint32Array(size);
      return { words, halves: new Uint16Array(words.buffer), base: 0, size, page: -1 };
    }
    const order = Math.log2(size);
    let found = order;
    while (found <= PAGE_ORDER && this.#free[found].size === 0) found++;
    let address: number;
    if (found > PAGE_ORDER) {
      const words = new Uint32Array(PAGE_WORDS);
      this.#pages.push({ words, halves: new Uint16Array(words.buffer) });
      address = (this.#pages.length - 1) * PAGE_WORDS;
      found = PAGE_ORDER;
    } else {
      address = this.#free[found].values().next().value!;
      this.#free[found].delete(address);
    }
    // Halve the block down to the size asked, freeing the upper halves.
    while (found > order) {
      found--;
      this.#free[found].add(address + (1 << found));
    }
    const page = Math.floor(address / PAGE_WORDS);
    const { words, halves } = this.#pages[page];
    return { words, halves, base: address % PAGE_WORDS, size, page };
  }

  /**
   * Gives a chunk back for reuse; it must not be used afterwards.
   *
   * @example
   * ```ts
   * arena.free(chunk);
   * ```
   */
  free(chunk: Chunk): void {
    if (chunk.page < 0) return;
    let base = chunk.base;
    let order = Math.log2(chunk.size);
    const page = chunk.page * PAGE_WORDS;
    while (order < PAGE_ORDER && this.#free[order].delete(page + (base ^ (1 << order)))) {
      base &= ~(1 << order);
      order++;
    }
    this.#free[order].add(page + base);
  }
}
