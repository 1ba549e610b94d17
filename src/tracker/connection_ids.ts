import { randomBytes } from "node:crypto";
import { sipHash24, SIPHASH_KEY_BYTES } from "./siphash.ts";

/**
 * How long one key signs connection ids. An id is accepted in the window it
 * was made in and the next, so for two to four minutes: BEP 15 asks trackers
 * to accept one for two minutes, and clients reuse one for at most one.
 */
export const CONNECTION_ID_WINDOW_MS = 120_000;

/**
 * BEP 15 connection ids without any state per client, like SYN cookies: an
 * id is SipHash-2-4 (a 64-bit keyed hash) of the source's port and address,
 * under a random key that is replaced every window (the previous window's
 * key is kept, nothing older). Only a source that receives what is sent to
 * its address can learn an id for it, and guessing one takes 2^63 tries on
 * average.
 *
 * @example
 * ```ts
 * const ids = new ConnectionIds();
 * const id = ids.issue("127.0.0.1", 6881);
 * ids.isValid(id, "127.0.0.1", 6881); // true
 * ids.isValid(id, "127.0.0.1", 6882); // false
 * ```
 */
export class ConnectionIds {
  readonly #now: () => number;
  #window: number;
  #current = newKey();
  #previous: Uint8Array | undefined;
  /** The hashed input: two port bytes, then the address's characters (ASCII). */
  #input = new Uint8Array(64);

  /** @param now the clock in milliseconds; monotonic by default, so a clock set back changes nothing. */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#window = this.#windowNow();
  }

  /**
   * A connection id for `address`:`port`, valid for this window and the next.
   *
   * @example
   * ```ts
   * encodeConnectResponse(transactionId, ids.issue(address, port));
   * ```
   */
  issue(address: string, port: number): bigint {
    this.#rotate();
    return this.#sign(this.#current, address, port);
  }

  /**
   * True if `id` was issued to `address`:`port` in this window or the last.
   * Comparing 64-bit bigints is one machine word in V8, so the comparison's
   * time says nothing about how much of a forged id was right.
   *
   * @example
   * ```ts
   * if (!ids.isValid(header.connectionId, address, port)) return null;
   * ```
   */
  isValid(id: bigint, address: string, port: number): boolean {
    this.#rotate();
    if (id === this.#sign(this.#current, address, port)) return true;
    return this.#previous !== undefined && id === this.#sign(this.#previous, address, port);
  }

  #sign(key: Uint8Array, address: string, port: number): bigint {
    const length = 2 + address.length;
    if (length > this.#input.length) this.#input = new Uint8Array(length);
    const input = this.#input;
    input[0] = port >> 8;
    input[1] = port & 0xff;
    for (let i = 0; i < address.length; i++) input[2 + i] = address.charCodeAt(i);
    return sipHash24(key, input, length);
  }

  #rotate(): void {
    const window = this.#windowNow();
    if (window === this.#window) return;
    // A gap of more than one window leaves no key whose ids may still be valid.
    this.#previous = window === this.#window + 1 ? this.#current : undefined;
    this.#current = newKey();
    this.#window = window;
  }

  #windowNow(): number {
    return Math.floor(this.#now() / CONNECTION_ID_WINDOW_MS);
  }
}

function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(SIPHASH_KEY_BYTES));
}
