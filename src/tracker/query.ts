import { TrackerError } from "./errors.ts";

/** Longest query string read; a real announce is under 400 bytes. */
export const MAX_QUERY_LENGTH = 8 * 1024;
/** Most parameters read from one query (a scrape of many hashes is the longest). */
export const MAX_QUERY_PARAMETERS = 256;

/**
 * A query string's parameters, values kept as raw bytes: `info_hash` and
 * `peer_id` are binary and percent-encoded byte by byte, so they must not
 * go through a text decoder.
 */
export type RawQuery = Map<string, Uint8Array[]>;

const utf8 = new TextDecoder();

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Percent-decodes one query component to bytes (`+` is a space, as in forms). */
function percentDecode(text: string, start: number, end: number): Uint8Array {
  const bytes = new Uint8Array(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const high = i + 2 < end ? hexValue(text.charCodeAt(i + 1)) : -1;
      const low = i + 2 < end ? hexValue(text.charCodeAt(i + 2)) : -1;
      if (high < 0 || low < 0) throw new TrackerError("malformed percent-encoding in the query");
      bytes[length++] = high * 16 + low;
      i += 2;
    } else if (code === 0x2b /* + */) {
      bytes[length++] = 0x20;
    } else if (code > 0x7f) {
      throw new TrackerError("the query holds characters that are not percent-encoded");
    } else {
      bytes[length++] = code;
    }
  }
  return bytes.subarray(0, length);
}

/**
 * Parses a URL's query string (without the `?`) into raw byte values.
 *
 * @throws {TrackerError} for oversize or malformed queries.
 * @example
 * ```ts
 * parseQuery("info_hash=%12%34&port=6881").get("port"); // [bytes of "6881"]
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
      const key = utf8.decode(percentDecode(query, start, keyEnd));
      const value = keyEnd < end ? percentDecode(query, keyEnd + 1, end) : new Uint8Array(0);
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
