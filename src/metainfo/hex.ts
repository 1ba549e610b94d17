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
