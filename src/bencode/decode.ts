import { BencodeError } from "./errors.ts";
import { BencodeDict, type BencodeValue } from "./types.ts";

/**
 * Deepest nesting of lists and dictionaries accepted. A torrent needs five
 * levels; the limit keeps hostile input from exhausting the stack.
 */
export const MAX_NESTING_DEPTH = 64;

const CHAR_D = 0x64; // 'd'
const CHAR_L = 0x6c; // 'l'
const CHAR_I = 0x69; // 'i'
const CHAR_E = 0x65; // 'e'
const CHAR_COLON = 0x3a;
const CHAR_MINUS = 0x2d;
const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
/** Digits of the largest safe integer, 2^53 - 1: longer numbers are refused unread. */
const MAX_INTEGER_DIGITS = 16;

/** Slots of the reader's cache of dictionary keys (a power of two). */
const KEY_CACHE_SIZE = 64;
/** Longest key cached: the keys that repeat are names such as "length" and "path". */
const MAX_CACHED_KEY_LENGTH = 32;

/** What a bencoded value is, told by its first byte. */
export type BencodeKind = "integer" | "string" | "list" | "dictionary";

/*
 * Why not the npm `bencode` decoder: it accepts truncated strings, trailing
 * garbage, floats and non-canonical integers, silently rounds integers past
 * 2^53, overflows the stack on deep nesting and cannot tell where a value
 * stood in the input. This reader is strict about all of that and knows
 * where every value stands. Encoding uses the npm package.
 */

/**
 * A strict reader over one bencoded document, value by value. `value()`
 * builds the next value whole; `list()` and `dictionary()` instead hand
 * their items to the caller one at a time, so that a caller can turn each
 * item into its own record at once and a long list (a torrent's million
 * files) never stands in memory as a tree of values. `decode` is `value()`
 * on a whole document.
 *
 * @example
 * ```ts
 * const reader = new BencodeReader(new TextEncoder().encode("li1ei2ee"));
 * let sum = 0;
 * reader.list(() => sum += reader.value() as number);
 * reader.end(); // sum === 3
 * ```
 */
export class BencodeReader {
  #position = 0;
  #depth = 0;
  readonly #input: Uint8Array;
  /**
   * Keys met before, by a hash of their bytes: a torrent of a million files
   * says "length" and "path" a million times, and each would be a new string.
   */
  readonly #keyCache: string[] = new Array(KEY_CACHE_SIZE).fill("");
  /** By nesting depth, reused: the keys of the dictionary being read there. */
  readonly #keysAtDepth: string[][] = [];
  /** By nesting depth, reused: the items of the list being read there. */
  readonly #itemsAtDepth: BencodeValue[][] = [];

  /** @param input the document; offsets in errors and spans count from its start. */
  constructor(input: Uint8Array) {
    this.#input = input;
  }

  /** Offset of the next byte to read. */
  get position(): number {
    return this.#position;
  }

  /**
   * What the next value is.
   *
   * @throws {BencodeError} at the end of the input or on a byte that starts no value.
   */
  kind(): BencodeKind {
    const byte = this.#peek();
    if (byte === CHAR_I) return "integer";
    if (byte === CHAR_L) return "list";
    if (byte === CHAR_D) return "dictionary";
    if (byte >= CHAR_0 && byte <= CHAR_9) return "string";
    throw new BencodeError(
      `unexpected byte 0x${byte.toString(16).padStart(2, "0")}`,
      this.#position,
    );
  }

  /**
   * Reads the next value whole; each dictionary in it records the span of
   * each of its values.
   *
   * @throws {BencodeError} on malformed input, with the byte offset.
   */
  value(): BencodeValue {
    switch (this.kind()) {
      case "integer":
        return this.#integer();
      case "string":
        return this.#byteString();
      case "list": {
        this.#enter(CHAR_L, "a list");
        // Gathered in this depth's array, then copied at its size: pushing onto a new array
        // would give a list of two paths room for seventeen.
        const items = this.#itemsAtDepth[this.#depth] ??= [];
        let count = 0;
        while (this.#peek() !== CHAR_E) items[count++] = this.value();
        this.#leave();
        const list = items.slice(0, count);
        items.fill(0, 0, count); // let go of the items
        return list;
      }
      case "dictionary":
        return this.#dictionaryValue();
    }
  }

  /**
   * Reads a list item by item: `item` is called once for each and must read
   * exactly that item (with `value()`, `list()` or `dictionary()`).
   *
   * @throws {BencodeError} when the next value is not a list, or on malformed input.
   */
  list(item: (index: number) => void): void {
    this.#enter(CHAR_L, "a list");
    for (let index = 0; this.#peek() !== CHAR_E; index++) {
      const start = this.#position;
      item(index);
      this.#checkRead(start);
    }
    this.#leave();
  }

  /**
   * Reads a dictionary entry by entry: `entry` is called with each key
   * (Latin-1, one character per byte) and must read exactly its value.
   * Keys may come in any order (as real clients accept) but never twice.
   *
   * @throws {BencodeError} when the next value is not a dictionary, or on malformed input.
   */
  dictionary(entry: (key: string) => void): void {
    // Keys in order (as bencode asks) cannot repeat: each is checked against the one before
    // only, and the keys are kept in this depth's array in case one comes out of order.
    const keys = this.#keysAtDepth[this.#depth + 1] ??= [];
    let count = 0;
    let seen: Set<string> | undefined;
    this.#entries((key, keyStart) => {
      if (!seen && count > 0 && key <= keys[count - 1]) seen = new Set(keys.slice(0, count));
      if (seen) {
        if (seen.has(key)) throw new BencodeError(`duplicate dictionary key "${key}"`, keyStart);
        seen.add(key);
      } else {
        keys[count++] = key;
      }
      const start = this.#position;
      entry(key);
      this.#checkRead(start);
    });
    keys.fill("", 0, count);
  }

  /**
   * Checks that the document ends where the reader stands.
   *
   * @throws {BencodeError} on trailing bytes.
   */
  end(): void {
    if (this.#position !== this.#input.length) {
      throw new BencodeError(
        `${this.#input.length - this.#position} bytes of trailing data after the end`,
        this.#position,
      );
    }
  }

  #peek(): number {
    if (this.#position >= this.#input.length) {
      throw new BencodeError("unexpected end of input (truncated)", this.#position);
    }
    return this.#input[this.#position];
  }

  /** A caller's callback must read its item: otherwise the next item would be misread. */
  #checkRead(start: number): void {
    if (this.#position === start) throw new Error("BencodeReader: an item was left unread");
  }

  #enter(opening: number, what: string): void {
    if (this.#peek() !== opening) {
      throw new BencodeError(`expected ${what}, found a ${this.kind()}`, this.#position);
    }
    if (++this.#depth > MAX_NESTING_DEPTH) {
      throw new BencodeError(`nesting deeper than ${MAX_NESTING_DEPTH} levels`, this.#position);
    }
    this.#position++;
  }

  #leave(): void {
    this.#position++; // the 'e'
    this.#depth--;
  }

  /** A dictionary's keys, each followed by the reading of its value. */
  #entries(entry: (key: string, keyStart: number) => void): void {
    this.#enter(CHAR_D, "a dictionary");
    while (this.#peek() !== CHAR_E) {
      const keyStart = this.#position;
      const byte = this.#peek();
      if (byte < CHAR_0 || byte > CHAR_9) {
        throw new BencodeError("dictionary key is not a string", keyStart);
      }
      entry(this.#key(), keyStart);
    }
    this.#leave();
  }

  #dictionaryValue(): BencodeDict {
    const dict = new BencodeDict();
    this.#entries((key, keyStart) => {
      if (dict.has(key)) throw new BencodeError(`duplicate dictionary key "${key}"`, keyStart);
      const valueStart = this.#position;
      dict.set(key, this.value());
      dict.spans.set(key, [valueStart, this.#position]);
    });
    return dict;
  }

  /** Reads digits up to `terminator`; canonical form only (no sign, no leading zero). */
  #digits(terminator: number, what: string): number {
    const start = this.#position;
    let value = 0;
    while (this.#peek() !== terminator) {
      const byte = this.#input[this.#position];
      if (byte < CHAR_0 || byte > CHAR_9) {
        throw new BencodeError(`${what}: not a digit`, this.#position);
      }
      if (this.#position - start >= MAX_INTEGER_DIGITS) {
        throw new BencodeError(`${what}: beyond 2^53`, start);
      }
      value = value * 10 + (byte - CHAR_0);
      this.#position++;
    }
    const count = this.#position - start;
    if (count === 0) throw new BencodeError(`${what}: no digits`, start);
    if (count > 1 && this.#input[start] === CHAR_0) {
      throw new BencodeError(`${what}: leading zero`, start);
    }
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError(`${what}: beyond 2^53`, start);
    }
    this.#position++; // the terminator
    return value;
  }

  #integer(): number {
    const start = this.#position++;
    const negative = this.#peek() === CHAR_MINUS;
    if (negative) this.#position++;
    const magnitude = this.#digits(CHAR_E, "integer");
    if (negative && magnitude === 0) {
      throw new BencodeError("integer: negative zero", start);
    }
    return negative ? -magnitude : magnitude;
  }

  /** A dictionary key as a binary string, from the cache when it was met before. */
  #key(): string {
    const length = this.#stringLength();
    const start = this.#position;
    this.#position += length;
    if (length > MAX_CACHED_KEY_LENGTH) return latin1(this.#input.subarray(start, start + length));
    const input = this.#input;
    let hash = length;
    for (let i = start; i < start + length; i++) {
      hash = (hash * 31 + input[i]) & (KEY_CACHE_SIZE - 1);
    }
    const cached = this.#keyCache[hash];
    if (cached.length === length && spells(cached, input, start)) return cached;
    return this.#keyCache[hash] = latin1(input.subarray(start, start + length));
  }

  #byteString(): Uint8Array {
    const length = this.#stringLength();
    const bytes = this.#input.subarray(this.#position, this.#position + length);
    this.#position += length;
    return bytes;
  }

  /** Reads a string's length and colon; the string's bytes are next, and within the input. */
  #stringLength(): number {
    const start = this.#position;
    const length = this.#digits(CHAR_COLON, "string length");
    if (length > this.#input.length - this.#position) {
      throw new BencodeError(
        `string of ${length} bytes runs past the end of the input`,
        start,
      );
    }
    return length;
  }
}

function latin1(bytes: Uint8Array): string {
  if (bytes.length <= MAX_CACHED_KEY_LENGTH) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** True when `text`, a binary string, holds the bytes of `input` from `start` on. */
function spells(text: string, input: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== input[start + i]) return false;
  return true;
}

/**
 * Decodes one complete bencoded value, strictly: the whole input must be
 * exactly one value. Dictionary keys may come in any order (as real clients
 * accept) but never twice.
 *
 * @throws {BencodeError} on any malformed input, with the byte offset.
 * @example
 * ```ts
 * const value = decode(new TextEncoder().encode("d3:fooi42ee"));
 * (value as BencodeDict).get("foo"); // 42
 * ```
 */
export function decode(input: Uint8Array): BencodeValue {
  if (input.length === 0) throw new BencodeError("empty input", 0);
  const reader = new BencodeReader(input);
  const value = reader.value();
  reader.end();
  return value;
}
