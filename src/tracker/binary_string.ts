/**
 * Binary strings: one character per byte (code 0 to 255). The tracker keys
 * swarms and peers by their info hash and peer id in this form: exact,
 * hashable by `Map`, and made straight from the percent-encoded query.
 *
 * @module
 */

/**
 * Bytes as a binary string.
 *
 * @example
 * ```ts
 * bytesToBinaryString(new Uint8Array([0x41, 0xff])); // "A\xff"
 * ```
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
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
