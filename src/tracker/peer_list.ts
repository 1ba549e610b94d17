/**
 * The peers of one swarm of one address family: 8-byte records (20 for
 * IPv6) in a chunk of words, with an open-addressing index from address and
 * port to slot.
 *
 * @module
 */
import type { Chunk, WordArena } from "./word_arena.ts";

/**
 * Expiry is kept in ticks of this many seconds, in 16 bits beside the port:
 * a peer's whole record is then its address and one word. Ticks wrap every
 * 2^16 (six days); a peer counts as expired once the clock is 1 to 2^15 - 1
 * ticks past its expiry, so lifetimes up to three days are told apart, and
 * the sweep comes by long before a wrap.
 */
export const EXPIRY_TICK_SECONDS = 8;

/**
 * The tick of a time in seconds.
 *
 * @example
 * ```ts
 * tickOf(now + lifetime); // a peer's expiry
 * ```
 */
export function tickOf(seconds: number): number {
  return Math.floor(seconds / EXPIRY_TICK_SECONDS) & 0xffff;
}

/** Ticks from `now` until `expiry`, or -1 if it has passed. */
function ticksLeft(expiry: number, now: number): number {
  const late = (now - expiry) & 0xffff;
  return late !== 0 && late < 0x8000 ? -1 : (expiry - now) & 0xffff;
}

/** Slots a list has at least. */
const MIN_CAPACITY = 2;
/** The index has at least two entries a slot, so that linear probing stays short. */
const INDEX_PER_SLOT = 2;
/** Slot numbers (plus one) below this fit a 16-bit index entry. */
const NARROW_LIMIT = 0xffff;
/** The key of a lookup: address words, then the port (never held across calls). */
const KEY = new Uint32Array(5);
/** The key of a peer in a slot, for the list's own moves: KEY stays the caller's meanwhile. */
const SLOT_KEY = new Uint32Array(5);

/** One address family's peers as saved: compact forms and the seconds each has left. */
export interface PeerRecords {
  /** The first `seeders` peers are seeders. */
  readonly seeders: number;
  /** Compact forms (BEP 23, 6 bytes; BEP 7, 18 bytes), one after another. */
  readonly compact: Uint8Array;
  readonly secondsLeft: Uint32Array;
}

/**
 * One address family's peers in one swarm, identified by address and port
 * as opentracker does: seeders in slots 0 to `seeders - 1`, leechers after
 * them up to `count - 1`, so that either kind is a range to pick from.
 * Removal moves the last of a kind into the hole (and, for a seeder, the
 * last leecher into the seeders' new end): O(1). The records' chunk doubles
 * when full and halves below a quarter; the index has 16-bit entries up to
 * 65,534 slots and 32-bit ones beyond.
 *
 * Record: the address (one word for IPv4, four for IPv6, each the
 * big-endian reading of four address bytes), then port << 16 | expiry tick.
 */
export class PeerList {
  /** Peers in the list. */
  count = 0;
  /** Of which seeders, in the first slots. */
  seeders = 0;
  readonly #arena: WordArena;
  readonly #addressWords: 1 | 4;
  /** Words a record. */
  readonly #stride: number;
  /** Keys the index's hash, so that nobody outside can aim peers at one probe chain. */
  readonly #key: number;
  /** Records the records' chunk holds. */
  #capacity = 0;
  #records!: Chunk;
  #index!: Chunk;
  #wide = false;
  #indexMask = 0;
  #indexShift = 0;
  /** The records' smallest chunk: MIN_CAPACITY records, to a power of two. */
  readonly #minRecordWords: number;

  /**
   * @param addressWords 1 for IPv4, 4 for IPv6
   * @param key a secret of the registry's for the index hash
   * @example
   * ```ts
   * const list = new PeerList(arena, 1, secret);
   * ```
   */
  constructor(arena: WordArena, addressWords: 1 | 4, key: number) {
    this.#arena = arena;
    this.#addressWords = addressWords;
    this.#stride = addressWords + 1;
    this.#key = key;
    this.#minRecordWords = powerOfTwoAtLeast(MIN_CAPACITY * this.#stride);
    this.#resize(this.#minRecordWords);
  }

  /**
   * The slot of the peer at this address and port, or -1.
   *
   * @param compact its compact form as a binary string (address, then port)
   * @example
   * ```ts
   * list.find(compact);
   * ```
   */
  find(compact: string): number {
    this.#keyOf(compact);
    const position = this.#locate(KEY);
    return position < 0 ? -1 : this.#entry(position) - 1;
  }

  /**
   * Adds a peer that is not in the list (see `find`) and returns its slot.
   *
   * @param expiry its expiry tick (`tickOf`)
   * @example
   * ```ts
   * const slot = list.add(compact, tickOf(now + lifetime), left === 0);
   * ```
   */
  add(compact: string, expiry: number, seeder: boolean): number {
    this.#keyOf(compact);
    return this.#insert(expiry, seeder);
  }

  /**
   * A peer announced again: its new expiry tick.
   *
   * @example
   * ```ts
   * list.renew(slot, tickOf(now + lifetime));
   * ```
   */
  renew(slot: number, expiry: number): void {
    const at = this.#records.base + slot * this.#stride + this.#addressWords;
    const words = this.#records.words;
    words[at] = ((words[at] & 0xffff0000) | expiry) >>> 0;
  }

  /**
   * Makes a peer a seeder or a leecher; returns its new slot.
   *
   * @example
   * ```ts
   * slot = list.setSeeder(slot, request.left === 0);
   * ```
   */
  setSeeder(slot: number, seeder: boolean): number {
    if (seeder && slot >= this.seeders) {
      this.#swap(slot, this.seeders);
      return this.seeders++;
    }
    if (!seeder && slot < this.seeders) {
      this.#swap(slot, --this.seeders);
      return this.seeders;
    }
    return slot;
  }

  /**
   * Removes the peer in `slot`; other peers' slots may change.
   *
   * @example
   * ```ts
   * list.remove(list.find(compact));
   * ```
   */
  remove(slot: number): void {
    this.#unindex(this.#positionOf(slot));
    const last = --this.count;
    if (slot < this.seeders) {
      const lastSeeder = --this.seeders;
      this.#move(lastSeeder, slot);
      this.#move(last, lastSeeder);
    } else {
      this.#move(last, slot);
    }
    if (this.#records.size > this.#minRecordWords && this.count * 4 <= this.#capacity) {
      this.#resize(this.#records.size / 2);
    }
  }

  /**
   * Removes the peers expired at tick `now`, telling `onExpired` about each
   * first; returns how many were removed.
   *
   * @example
   * ```ts
   * list.sweep(tickOf(nowSeconds), (slot) => log(list.compactAt(slot)));
   * ```
   */
  sweep(now: number, onExpired?: (slot: number) => void): number {
    let removed = 0;
    // Downwards: what removal moves into a slot comes from above it, already checked.
    for (let slot = this.count - 1; slot >= 0; slot--) {
      const at = this.#records.base + slot * this.#stride + this.#addressWords;
      if (ticksLeft(this.#records.words[at] & 0xffff, now) >= 0) continue;
      onExpired?.(slot);
      this.remove(slot);
      removed++;
    }
    return removed;
  }

  /**
   * Writes the compact form of the peer in `slot` (4 or 16 address bytes,
   * 2 port bytes) into `out` at `offset`; returns the offset after it.
   *
   * @example
   * ```ts
   * offset = list.writeCompact(slot, answer, offset);
   * ```
   */
  writeCompact(slot: number, out: Uint8Array, offset: number): number {
    const words = this.#records.words;
    const at = this.#records.base + slot * this.#stride;
    for (let i = 0; i < this.#addressWords; i++) {
      const address = words[at + i];
      out[offset++] = address >>> 24;
      out[offset++] = address >>> 16;
      out[offset++] = address >>> 8;
      out[offset++] = address;
    }
    const port = words[at + this.#addressWords] >>> 16;
    out[offset++] = port >>> 8;
    out[offset++] = port;
    return offset;
  }

  /** The compact form of the peer in `slot` as a binary string (for the log). */
  compactAt(slot: number): string {
    const bytes = new Uint8Array(this.#addressWords * 4 + 2);
    this.writeCompact(slot, bytes, 0);
    return String.fromCharCode(...bytes);
  }

  /**
   * The peers not expired at tick `now`, seeders first, with the seconds
   * each has left (whole ticks: up to a tick less than it has), written
   * into `into` (room for `count` peers) and returned as views of it.
   *
   * @example
   * ```ts
   * const saved = list.export(tickOf(nowSeconds), scratch);
   * ```
   */
  export(now: number, into: { compact: Uint8Array; secondsLeft: Uint32Array }): PeerRecords {
    const entry = this.#addressWords * 4 + 2;
    const { compact, secondsLeft } = into;
    let seeders = 0;
    let kept = 0;
    for (let slot = 0; slot < this.count; slot++) {
      const at = this.#records.base + slot * this.#stride + this.#addressWords;
      const left = ticksLeft(this.#records.words[at] & 0xffff, now);
      if (left < 0) continue;
      this.writeCompact(slot, compact, kept * entry);
      secondsLeft[kept++] = left * EXPIRY_TICK_SECONDS;
      if (slot < this.seeders) seeders++;
    }
    return {
      seeders,
      compact: compact.subarray(0, kept * entry),
      secondsLeft: secondsLeft.subarray(0, kept),
    };
  }

  /**
   * Adds saved peers (`export`'s form, at most `limit` of them), each
   * expiring at tick `expiryOf(seconds left)`, or skipped if that is -1.
   * Returns how many were added.
   *
   * @throws {RangeError} when a peer is listed twice or has port 0: the
   *   records are not what `export` wrote.
   * @example
   * ```ts
   * list.load(saved, Infinity, (left) => tickOf(now + left));
   * ```
   */
  load(saved: PeerRecords, limit: number, expiryOf: (secondsLeft: number) => number): number {
    const entry = this.#addressWords * 4 + 2;
    const { compact } = saved;
    let added = 0;
    for (let peer = 0; peer < saved.secondsLeft.length && added < limit; peer++) {
      const expiry = expiryOf(saved.secondsLeft[peer]);
      if (expiry < 0) continue;
      const offset = peer * entry;
      for (let i = 0; i < this.#addressWords; i++) {
        const at = offset + i * 4;
        KEY[i] = (compact[at] << 24) | (compact[at + 1] << 16) | (compact[at + 2] << 8) |
          compact[at + 3];
      }
      KEY[this.#addressWords] = (compact[offset + entry - 2] << 8) | compact[offset + entry - 1];
      if (KEY[this.#addressWords] === 0) throw new RangeError("a saved peer has port 0");
      if (this.#locate(KEY) >= 0) throw new RangeError("a saved peer is listed twice");
      this.#insert(expiry, peer < saved.seeders);
      added++;
    }
    return added;
  }

  /** Gives the list's memory back to the arena; the list must not be used afterwards. */
  release(): void {
    this.#arena.free(this.#records);
    this.#arena.free(this.#index);
  }

  /** Puts a compact form's address words and port in KEY. */
  #keyOf(compact: string): void {
    for (let i = 0; i < this.#addressWords; i++) {
      const at = i * 4;
      KEY[i] = (compact.charCodeAt(at) << 24) | (compact.charCodeAt(at + 1) << 16) |
        (compact.charCodeAt(at + 2) << 8) | compact.charCodeAt(at + 3);
    }
    KEY[this.#addressWords] = (compact.charCodeAt(compact.length - 2) << 8) |
      compact.charCodeAt(compact.length - 1);
  }

  /** Adds the peer in KEY (not in the list); returns its slot. */
  #insert(expiry: number, seeder: boolean): number {
    if (this.count === this.#capacity) this.#resize(this.#records.size * 2);
    const empty = -1 - this.#locate(KEY);
    let slot = this.count;
    if (seeder) {
      // The first leecher makes room at the seeders' end.
      this.#move(this.seeders, this.count);
      slot = this.seeders++;
    }
    const words = this.#records.words;
    const at = this.#records.base + slot * this.#stride;
    for (let i = 0; i < this.#addressWords; i++) words[at + i] = KEY[i];
    words[at + this.#addressWords] = ((KEY[this.#addressWords] << 16) | expiry) >>> 0;
    this.#setEntry(empty, slot + 1);
    this.count++;
    return slot;
  }

  #entry(position: number): number {
    return this.#wide
      ? this.#index.words[this.#index.base + position]
      : this.#index.halves[this.#index.base * 2 + position];
  }

  #setEntry(position: number, value: number): void {
    if (this.#wide) this.#index.words[this.#index.base + position] = value;
    else this.#index.halves[this.#index.base * 2 + position] = value;
  }

  /** Where the index's probe for a key starts. */
  #home(key: Uint32Array): number {
    let hash = this.#key;
    for (let i = 0; i <= this.#addressWords; i++) {
      hash = Math.imul(hash ^ key[i], 0x9e3779b1);
      hash ^= hash >>> 15;
    }
    return Math.imul(hash, 0x85ebca6b) >>> this.#indexShift;
  }

  /** Puts the key of the peer in `slot` in SLOT_KEY. */
  #keyOfSlot(slot: number): void {
    const words = this.#records.words;
    const at = this.#records.base + slot * this.#stride;
    for (let i = 0; i < this.#addressWords; i++) SLOT_KEY[i] = words[at + i];
    SLOT_KEY[this.#addressWords] = words[at + this.#addressWords] >>> 16;
  }

  /** The index position holding the slot of the peer with `key`, or -1 - the empty position it would take. */
  #locate(key: Uint32Array): number {
    const words = this.#records.words;
    const base = this.#records.base;
    const mask = this.#indexMask;
    const port = this.#addressWords;
    for (let position = this.#home(key);; position = (position + 1) & mask) {
      const entry = this.#entry(position);
      if (entry === 0) return -1 - position;
      const at = base + (entry - 1) * this.#stride;
      if (words[at + port] >>> 16 !== key[port]) continue;
      let same = true;
      for (let i = 0; i < port && same; i++) same = words[at + i] === key[i];
      if (same) return position;
    }
  }

  /** The index position of the peer in `slot`. */
  #positionOf(slot: number): number {
    this.#keyOfSlot(slot);
    return this.#locate(SLOT_KEY);
  }

  /** Empties an index position, shifting back the entries of its probe chain (no tombstones). */
  #unindex(position: number): void {
    const mask = this.#indexMask;
    let hole = position;
    for (let next = (hole + 1) & mask;; next = (next + 1) & mask) {
      const entry = this.#entry(next);
      if (entry === 0) break;
      this.#keyOfSlot(entry - 1);
      const home = this.#home(SLOT_KEY);
      // The entry may fill the hole if the hole lies between its home and where it is.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.#setEntry(hole, entry);
        hole = next;
      }
    }
    this.#setEntry(hole, 0);
  }

  /** Moves the record in `from` to `to` (whose record is gone) and points the index at it. */
  #move(from: number, to: number): void {
    if (from === to) return;
    const position = this.#positionOf(from);
    const source = this.#records.base + from * this.#stride;
    this.#records.words.copyWithin(
      this.#records.base + to * this.#stride,
      source,
      source + this.#stride,
    );
    this.#setEntry(position, to + 1);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    // Both entries are found before either changes: found after, one would hide the other.
    const positionA = this.#positionOf(a);
    const positionB = this.#positionOf(b);
    const words = this.#records.words;
    const first = this.#records.base + a * this.#stride;
    const second = this.#records.base + b * this.#stride;
    for (let i = 0; i < this.#stride; i++) {
      const word = words[first + i];
      words[first + i] = words[second + i];
      words[second + i] = word;
    }
    this.#setEntry(positionA, b + 1);
    this.#setEntry(positionB, a + 1);
  }

  /** Moves the records into a chunk of `recordWords` and rebuilds the index for it. */
  #resize(recordWords: number): void {
    const old = this.#capacity > 0 ? { records: this.#records, index: this.#index } : undefined;
    this.#records = this.#arena.allocate(recordWords);
    this.#capacity = Math.floor(recordWords / this.#stride);
    this.#wide = this.#capacity >= NARROW_LIMIT;
    const entries = powerOfTwoAtLeast(this.#capacity * INDEX_PER_SLOT);
    this.#index = this.#arena.allocate(this.#wide ? entries : entries / 2);
    this.#indexMask = entries - 1;
    this.#indexShift = 32 - Math.log2(entries);
    const { words, base, size } = this.#index;
    words.fill(0, base, base + size);
    if (!old) return;
    const from = old.records;
    this.#records.words.set(
      from.words.subarray(from.base, from.base + this.count * this.#stride),
      this.#records.base,
    );
    this.#arena.free(from);
    this.#arena.free(old.index);
    for (let slot = 0; slot < this.count; slot++) {
      this.#keyOfSlot(slot);
      this.#setEntry(-1 - this.#locate(SLOT_KEY), slot + 1);
    }
  }
}

function powerOfTwoAtLeast(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}
