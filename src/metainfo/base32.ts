const BITS_PER_CHARACTER = 5;

/** A character's value (A-Z, a-z: 0-25; 2-7: 26-31), or -1. */
function valueOf(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61;
  if (code >= 0x32 && code <= 0x37) return code - 0x32 + 26;
  return -1;
}

/**
 * RFC 4648 base32 (either case, without padding) as bytes: how older magnet
 * links write an info hash (32 characters for 20 bytes).
 *
 * @returns the bytes, or null if a character is not base32 or the text does
 * not end on a whole byte (left-over bits must be zero, as RFC 4648 writes them).
 * @example
 * ```ts
 * fromBase32("YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"); // 20 bytes: c1 2f e1 c0 ...
 * ```
 */
export function fromBase32(text: string): Uint8Array | null {
  const bytes = new Uint8Array(Math.floor((text.length * BITS_PER_CHARACTER) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const value = valueOf(text.charCodeAt(i));
    if (value < 0) return null;
    buffer = (buffer << BITS_PER_CHARACTER) | value;
    bits += BITS_PER_CHARACTER;
    if (bits >= 8) {
      bits -= 8;
      bytes[written++] = buffer >> bits;
      buffer &= (1 << bits) - 1;
    }
  }
  if (bits >= BITS_PER_CHARACTER || buffer !== 0) return null;
  return bytes;
}
