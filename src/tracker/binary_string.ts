/**
 * Binary strings: one character per byte (code 0 to 255). The tracker keys
 * swarms and peers by their info hash and peer id in this form: exact,
 * hashable by `Map`, and made straight from the percent-encoded query.
 *
 * @module
 */
import { compactPeer, ipv4Number } from "../transport/address.ts";

/**
 * Bytes as a binary string.
 *
 * @example
 * ```ts
 * bytesToBinaryString(new Uint8Array([0x41, 0xff])); // "A\xff"
 * ```
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  // One call per chunk makes a flat string (hashed at once as a Map key),
  // where adding a character at a time builds a rope; chunks keep the
  // argument count far below any engine's limit.
  let text = "";
  for (let start = 0; start < bytes.length; start += BINARY_STRING_CHUNK) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(start, start + BINARY_STRING_CHUNK) as unknown as number[],
    );
  }
  return text;
}

/** Bytes turned into characters by one `String.fromCharCode` call. */
const BINARY_STRING_CHUNK = 8192;

/**
 * The compact form of a peer (BEP 23, BEP 7) as a binary string, the key
 * the tracker files it under, or null if the address is neither IPv4 nor
 * IPv6. An IPv4 peer's is made straight from the address's text, with no
 * byte array between: one is made for every announce.
 *
 * @example
 * ```ts
 * compactPeerString("127.0.0.1", 6881); // "\x7f\0\0\x01\x1a\xe1"
 * ```
 */
export function compactPeerString(ip: string, port: number): string | null {
  const ipv4 = ipv4Number(ip);
  if (ipv4 >= 0) {
    return String.fromCharCode(
      ipv4 >>> 24,
      (ipv4 >>> 16) & 0xff,
      (ipv4 >>> 8) & 0xff,
      ipv4 & 0xff,
      port >> 8,
      port & 0xff,
    );
  }
  const compact = compactPeer(ip, port);
  return compact && bytesToBinaryString(compact);
}

/**
 * A binary string's bytes.
 *
 * @example
 * ```ts
 * binaryStringToBytes("A\xff"); // Uint8Array [0x41, 0xff]
 * ```
 */
export function binaryStringToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * A binary string as lower-case hex.
 *
 * @example
 * ```ts
 * binaryStringToHex("A\xff"); // "41ff"
 * ```
 */
export function binaryStringToHex(text: string): string {
  let hex = "";
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(2, "0");
  return hex;
}
