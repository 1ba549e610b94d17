/**
 * The RC4 stream cipher, which message stream encryption runs on both
 * directions of a connection. Written here because no runtime crypto
 * library Deno ships still offers it (`node:crypto` lists no rc4 cipher).
 * Every byte a peer sends or receives passes through {@link Rc4.crypt}, so
 * it is one tight loop over typed arrays.
 */
export class Rc4 {
  // An Int32Array state measured faster than a Uint8Array one: V8 loads and
  // stores its elements without widening or truncating bytes.
  readonly #s = new Int32Array(256);
  #i = 0;
  #j = 0;

  /**
   * The key schedule for `key` (1 to 256 bytes).
   *
   * @throws {RangeError} for an empty key or one longer than 256 bytes.
   * @example
   * ```ts
   * const cipher = new Rc4(new TextEncoder().encode("Key"));
   * ```
   */
  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) {
      throw new RangeError(`an RC4 key is 1 to 256 bytes, not ${key.length}`);
    }
    const s = this.#s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const t = s[k];
      j = (j + t + key[k % key.length]) & 255;
      s[k] = s[j];
      s[j] = t;
    }
  }

  /**
   * XORs the next `input.length` bytes of keystream into `input`, writing the
   * result to `output` (by default `input` itself, in place). Encrypting and
   * decrypting are the same operation.
   *
   * @param output at least as long as `input`; may be `input`.
   * @example
   * ```ts
   * const bytes = new TextEncoder().encode("Plaintext");
   * new Rc4(new TextEncoder().encode("Key")).crypt(bytes);
   * bytes[0] === 0xbb; // true: BB F3 16 E8 D9 40 AF 0A D3
   * ```
   */
  crypt(input: Uint8Array, output: Uint8Array = input): void {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    const length = input.length;
    for (let k = 0; k < length; k++) {
      i = (i + 1) & 255;
      const si = s[i];
      j = (j + si) & 255;
      const sj = s[j];
      s[i] = sj;
      s[j] = si;
      output[k] = input[k] ^ s[(si + sj) & 255];
    }
    this.#i = i;
    this.#j = j;
  }

  /**
   * Throws away the next `count` bytes of keystream (MSE drops the first
   * 1024, whose bias is what RC4's known attacks use).
   *
   * @example
   * ```ts
   * cipher.discard(1024);
   * ```
   */
  discard(count: number): void {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    for (let k = 0; k < count; k++) {
      i = (i + 1) & 255;
      const si = s[i];
      j = (j + si) & 255;
      s[i] = s[j];
      s[j] = si;
    }
    this.#i = i;
    this.#j = j;
  }
}
