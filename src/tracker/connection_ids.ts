import { createHmac, createSecretKey, type KeyObject, randomBytes } from "node:crypto";

/**
 * How long one key signs connection ids. An id is accepted in the window it
 * was made in and the next, so for two to four minutes: BEP 15 asks trackers
 * to accept one for two minutes, and clients reuse one for at most one.
 */
export const CONNECTION_ID_WINDOW_MS = 120_000;

/** Bytes of each window's random HMAC key. */
const KEY_BYTES = 32;

/**
 * BEP 15 connection ids without any state per client, like SYN cookies: an
 * id is the first 64 bits of HMAC-SHA-256 over the source's address and
 * port, under a random key that is replaced every window (the previous
 * window's key is kept, nothing older). Only a source that receives what is
 * sent to its address can learn an id for it, and guessing one takes 2^63
 * tries on average.
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
  #previous: KeyObject | undefined;

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
    return sign(this.#current, address, port);
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
    if (id === sign(this.#current, address, port)) return true;
    return this.#previous !== undefined && id === sign(this.#previous, address, port);
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

function newKey(): KeyObject {
  return createSecretKey(randomBytes(KEY_BYTES));
}

function sign(key: KeyObject, address: string, port: number): bigint {
  return createHmac("sha256", key).update(`${port} ${address}`).digest().readBigUInt64BE(0);
}
