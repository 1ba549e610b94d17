import { TrackerError } from "./errors.ts";

/** Longest query string read; a real announce is under 400 bytes. */
export const MAX_QUERY_LENGTH = 8 * 1024;
/** Most parameters read from one query (a scrape of many hashes is the longest). */
export const MAX_QUERY_PARAMETERS = 256;

/**
 * A query string's parameters with their values still percent-encoded:
 * `info_hash` and `peer_id` are binary and encoded byte by byte, so each
 * value is decoded only as what it is ({@link queryBytes},
 * {@link queryBinaryString}, or read as a number). Keeping the raw text
 * makes the announce path cheap: most values are plain digits.
 */
export type RawQuery = Map<string, string[]>;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Calls `emit` with each byte of a percent-encoded component (`+` is a space, as in forms). */
function forEachByte(raw: string, emit: (byte: number) => void): void {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) throw new TrackerError("malformed percent-encoding in the query");
      emit(high * 16 + low);
      i += 2;
    } else if (code === 0x2b /* + */) {
      emit(0x20);
    } else if (code > 0x7f) {
      throw new TrackerError("the query holds characters that are not percent-encoded");
    } else {
      emit(code);
    }
  }
}

/**
 * A raw query value decoded to bytes.
 *
 * @example
 * ```ts
 * queryBytes("A%FF"); // Uint8Array [0x41, 0xff]
 * ```
 */
export function queryBytes(raw: string): Uint8Array {
  const bytes = new Uint8Array(raw.length);
  let length = 0;
  forEachByte(raw, (byte) => (bytes[length++] = byte));
  return bytes.subarray(0, length);
}

/**
 * A raw query value decoded to a binary string (one character per byte):
 * an exact, cheap map key for info hashes and peer ids.
 *
 * @example
 * ```ts
 * queryBinaryString("A%FF"); // "A\xff"
 * ```
 */
export function queryBinaryString(raw: string): string {
  if (!raw.includes("%") && !raw.includes("+")) {
    for (let i = 0; i < raw.length; i++) {
      if (raw.charCodeAt(i) > 0x7f) {
        throw new TrackerError("the query holds characters that are not percent-encoded");
      }
    }
    return raw;
  }
  let text = "";
  forEachByte(raw, (byte) => (text += String.fromCharCode(byte)));
  return text;
}

/**
 * A raw query value as UTF-8 text (invalid sequences become U+FFFD).
 *
 * @example
 * ```ts
 * queryText("client%201"); // "client 1"
 * ```
 */
export function queryText(raw: string): string {
  return new TextDecoder().decode(queryBytes(raw));
}

/**
 * Splits a URL's query string (without the `?`) into its parameters, values
 * left percent-encoded.
 *
 * @throws {TrackerError} for oversize queries or too many parameters.
 * @example
 * ```ts
 * parseQuery("info_hash=%12%34&port=6881").get("port"); // ["6881"]
 * ```
 */
export function parseQuery(query: string): RawQuery {
  if (query.length > MAX_QUERY_LENGTH) {
    throw new TrackerError(`query of ${query.length} bytes is too long`);
  }
  const parameters: RawQuery = new Map();
  let count = 0;
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf("&", start);
    if (end < 0) end = query.length;
    if (end > start) {
      if (++count > MAX_QUERY_PARAMETERS) throw new TrackerError("too many query parameters");
      const equals = query.indexOf("=", start);
      const keyEnd = equals >= 0 && equals < end ? equals : end;
      const rawKey = query.slice(start, keyEnd);
      const key = rawKey.includes("%") || rawKey.includes("+") ? queryBinaryString(rawKey) : rawKey;
      const value = keyEnd < end ? query.slice(keyEnd + 1, end) : "";
      const values = parameters.get(key);
      if (values) values.push(value);
      else parameters.set(key, [value]);
    }
    start = end + 1;
  }
  return parameters;
}

/**
 * Percent-encodes bytes for a query string: unreserved characters stay,
 * everything else becomes `%XX`.
 *
 * @example
 * ```ts
 * percentEncode(new Uint8Array([0x41, 0xff])); // "A%FF"
 * ```
 */
export function percentEncode(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    const unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x2e || byte === 0x5f ||
      byte === 0x7e;
    text += unreserved
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return text;
}
