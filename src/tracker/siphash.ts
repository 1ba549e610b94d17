/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash with a 128-bit
 * key and a 64-bit output, made to authenticate short inputs fast. Linux
 * makes its SYN cookies with it, which is what BEP 15 connection ids are.
 * `node:crypto` has no SipHash, and its HMAC, at one call per datagram,
 * cost a UDP announce more than everything else it does put together.
 *
 * The 64-bit lanes are kept as 32-bit halves in one typed array: JavaScript
 * has no 64-bit integer arithmetic but BigInt, which allocates.
 *
 * @module
 */

/** Bytes of a SipHash key. */
export const SIPHASH_KEY_BYTES = 16;

/** v0..v3 as [low, high] pairs: v0 at 0-1, v1 at 2-3, v2 at 4-5, v3 at 6-7. */
const lanes = new Uint32Array(8);
/** The output, read as one 64-bit big-endian number. */
const output = new DataView(new ArrayBuffer(8));

/** lanes[a] += lanes[b], 64-bit. */
function add(a: number, b: number): void {
  const low = lanes[a] + lanes[b];
  lanes[a + 1] = lanes[a + 1] + lanes[b + 1] + (low > 0xffffffff ? 1 : 0);
  lanes[a] = low;
}

/** lanes[a] rotated left by `bits` (1 to 31; 32 is a swap, done apart). */
function rotate(a: number, bits: number): void {
  const low = lanes[a];
  const high = lanes[a + 1];
  lanes[a] = (low << bits) | (high >>> (32 - bits));
  lanes[a + 1] = (high << bits) | (low >>> (32 - bits));
}

function swapHalves(a: number): void {
  const low = lanes[a];
  lanes[a] = lanes[a + 1];
  lanes[a + 1] = low;
}

/** lanes[a] ^= lanes[b]. */
function xor(a: number, b: number): void {
  lanes[a] ^= lanes[b];
  lanes[a + 1] ^= lanes[b + 1];
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function round(): void {
  add(V0, V1);
  rotate(V1, 13);
  xor(V1, V0);
  swapHalves(V0);
  add(V2, V3);
  rotate(V3, 16);
  xor(V3, V2);
  add(V0, V3);
  rotate(V3, 21);
  xor(V3, V0);
  add(V2, V1);
  rotate(V1, 17);
  xor(V1, V2);
  swapHalves(V2);
}

/** Takes one 64-bit message word (little-endian, as two halves): two rounds. */
function compress(low: number, high: number): void {
  lanes[V3] ^= low;
  lanes[V3 + 1] ^= high;
  round();
  round();
  lanes[V0] ^= low;
  lanes[V0 + 1] ^= high;
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/**
 * SipHash-2-4 of the first `length` bytes of `message` under a 16-byte
 * key, as the spec's 64-bit output read as an unsigned number (its bytes
 * little-endian).
 *
 * @example
 * ```ts
 * const key = Uint8Array.from({ length: 16 }, (_, i) => i);
 * sipHash24(key, Uint8Array.from({ length: 15 }, (_, i) => i)); // 0xa129ca6149be45e5n
 * ```
 */
export function sipHash24(key: Uint8Array, message: Uint8Array, length = message.length): bigint {
  if (key.length !== SIPHASH_KEY_BYTES) throw new RangeError("a SipHash key is 16 bytes");
  const k0Low = word(key, 0);
  const k0High = word(key, 4);
  const k1Low = word(key, 8);
  const k1High = word(key, 12);
  // The spec's constants: "somepseudorandomlygeneratedbytes".
  lanes[0] = k0Low ^ 0x70736575;
  lanes[1] = k0High ^ 0x736f6d65;
  lanes[2] = k1Low ^ 0x6e646f6d;
  lanes[3] = k1High ^ 0x646f7261;
  lanes[4] = k0Low ^ 0x6e657261;
  lanes[5] = k0High ^ 0x6c796765;
  lanes[6] = k1Low ^ 0x79746573;
  lanes[7] = k1High ^ 0x74656462;
  const whole = length - (length % 8);
  for (let at = 0; at < whole; at += 8) compress(word(message, at), word(message, at + 4));
  // The last word: the remaining bytes, and the length's low byte on top.
  let low = 0;
  let high = (length & 0xff) << 24;
  for (let i = 0; i < length - whole; i++) {
    const byte = message[whole + i];
    if (i < 4) low |= byte << (8 * i);
    else high |= byte << (8 * (i - 4));
  }
  compress(low >>> 0, high >>> 0);
  lanes[V2] ^= 0xff;
  round();
  round();
  round();
  round();
  output.setUint32(0, (lanes[1] ^ lanes[3] ^ lanes[5] ^ lanes[7]) >>> 0);
  output.setUint32(4, (lanes[0] ^ lanes[2] ^ lanes[4] ^ lanes[6]) >>> 0);
  return output.getBigUint64(0);
}
