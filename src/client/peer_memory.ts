/** Peers remembered at most: the oldest is forgotten first. */
const MAX_REMEMBERED = 4096;

/**
 * What worked with each peer address lately (which handshake opening, which
 * transport), so a peer that needs a fallback gets it first next time
 * instead of costing a failed attempt on every reconnect.
 */
export class PeerMemory<T> {
  readonly #entries = new Map<string, T>();

  /** What last worked with `address`. */
  get(address: string): T | undefined {
    return this.#entries.get(address);
  }

  /** `value` worked with `address`. */
  remember(address: string, value: T): void {
    this.#entries.delete(address);
    this.#entries.set(address, value);
    if (this.#entries.size > MAX_REMEMBERED) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
