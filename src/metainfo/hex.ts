/**
 * Bytes as lower-case hex digits.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0xab, 0x01])); // "ab01"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

/**
 * Hex digits as bytes; the caller has checked that `hex` is hex of even length.
 *
 * @example
 * ```ts
 * fromHex("ab01"); // Uint8Array [0xab, 0x01]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
