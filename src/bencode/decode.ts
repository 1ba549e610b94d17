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

/*
 * Why not the npm `bencode` decoder: it accepts truncated strings, trailing
 * garbage, floats and non-canonical integers, silently rounds integers past
 * 2^53, overflows the stack on deep nesting and cannot tell where a value
 * stood in the input. This decoder is strict about all of that and records
 * the byte span of every dictionary value. Encoding uses the npm package.
 */
class StrictDecoder {
  private position = 0;
  private depth = 0;

  constructor(private readonly input: Uint8Array) {}

  decodeDocument(): BencodeValue {
    if (this.input.length === 0) throw new BencodeError("empty input", 0);
    const value = this.value();
    if (this.position !== this.input.length) {
      throw new BencodeError(
        `${this.input.length - this.position} bytes of trailing data after the end`,
        this.position,
      );
    }
    return value;
  }

  private peek(): number {
    if (this.position >= this.input.length) {
      throw new BencodeError("unexpected end of input (truncated)", this.position);
    }
    return this.input[this.position];
  }

  private value(): BencodeValue {
    const byte = this.peek();
    if (byte === CHAR_I) return this.integer();
    if (byte === CHAR_L) return this.nested(() => this.list());
    if (byte === CHAR_D) return this.nested(() => this.dictionary());
    if (byte >= CHAR_0 && byte <= CHAR_9) return this.byteString();
    throw new BencodeError(
      `unexpected byte 0x${byte.toString(16).padStart(2, "0")}`,
      this.position,
    );
  }

  private nested<T>(decodeContainer: () => T): T {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new BencodeError(
        `nesting deeper than ${MAX_NESTING_DEPTH} levels`,
        this.position,
      );
    }
    const value = decodeContainer();
    this.depth--;
    return value;
  }

  /** Reads digits up to `terminator`; canonical form only (no sign, no leading zero). */
  private digits(terminator: number, what: string): number {
    const start = this.position;
    let value = 0;
    while (this.peek() !== terminator) {
      const byte = this.input[this.position];
      if (byte < CHAR_0 || byte > CHAR_9) {
        throw new BencodeError(`${what}: not a digit`, this.position);
      }
      if (this.position - start >= MAX_INTEGER_DIGITS) {
        throw new BencodeError(`${what}: beyond 2^53`, start);
      }
      value = value * 10 + (byte - CHAR_0);
      this.position++;
    }
    const count = this.position - start;
    if (count === 0) throw new BencodeError(`${what}: no digits`, start);
    if (count > 1 && this.input[start] === CHAR_0) {
      throw new BencodeError(`${what}: leading zero`, start);
    }
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError(`${what}: beyond 2^53`, start);
    }
    this.position++; // the terminator
    return value;
  }

  private integer(): number {
    const start = this.position++;
    const negative = this.peek() === CHAR_MINUS;
    if (negative) this.position++;
    const magnitude = this.digits(CHAR_E, "integer");
    if (negative && magnitude === 0) {
      throw new BencodeError("integer: negative zero", start);
    }
    return negative ? -magnitude : magnitude;
  }

  private byteString(): Uint8Array {
    const start = this.position;
    const length = this.digits(CHAR_COLON, "string length");
    if (length > this.input.length - this.position) {
      throw new BencodeError(
        `string of ${length} bytes runs past the end of the input`,
        start,
      );
    }
    const bytes = this.input.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  private list(): BencodeValue[] {
    this.position++;
    const items: BencodeValue[] = [];
    while (this.peek() !== CHAR_E) items.push(this.value());
    this.position++;
    return items;
  }

  private dictionary(): BencodeDict {
    this.position++;
    const dict = new BencodeDict();
    while (this.peek() !== CHAR_E) {
      const keyStart = this.position;
      const byte = this.peek();
      if (byte < CHAR_0 || byte > CHAR_9) {
        throw new BencodeError("dictionary key is not a string", keyStart);
      }
      const key = latin1(this.byteString());
      if (dict.has(key)) {
        throw new BencodeError(`duplicate dictionary key "${key}"`, keyStart);
      }
      const valueStart = this.position;
      dict.set(key, this.value());
      dict.spans.set(key, [valueStart, this.position]);
    }
    this.position++;
    return dict;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
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
  return new StrictDecoder(input).decodeDocument();
}
