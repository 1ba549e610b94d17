import type { Endpoint } from "../transport/mod.ts";
import type { Clock, Timer } from "./clock.ts";

/**
 * How long after each failed attempt a peer is dialled again: a peer that
 * closed during the handshake, refused or timed out may be restarting, or
 * busy, and a swarm of a few peers cannot afford to drop it for good.
 */
export const REDIAL_DELAYS_MS: readonly number[] = [5_000, 15_000, 45_000, 120_000, 300_000];
/** Peers with a redial pending, at most. */
const MAX_PENDING_REDIALS = 1_000;

/**
 * The redials of one torrent's peers that could not be reached: each
 * failure waits the next delay of {@link REDIAL_DELAYS_MS}, then hands the
 * peer back to be dialled; after the last, the peer is given up. A peer
 * reached resets its count.
 */
export class Redials {
  readonly #attempts = new Map<string, number>();
  readonly #timers = new Map<string, Timer>();
  #closed = false;

  constructor(readonly clock: Clock, readonly redial: (endpoint: Endpoint) => void) {}

  /**
   * Dialling `address` failed: a redial is scheduled unless it failed too
   * often (or too many are pending).
   *
   * @returns the delay until the redial, or undefined when given up.
   */
  failed(address: string, endpoint: Endpoint): number | undefined {
    if (this.#closed || this.#timers.has(address)) return undefined;
    const attempt = this.#attempts.get(address) ?? 0;
    const delay = REDIAL_DELAYS_MS[attempt];
    if (delay === undefined || this.#timers.size >= MAX_PENDING_REDIALS) {
      this.#attempts.delete(address);
      return undefined;
    }
    this.#attempts.set(address, attempt + 1);
    this.#timers.set(
      address,
      this.clock.after(delay, () => {
        this.#timers.delete(address);
        this.redial(endpoint);
      }),
    );
    return delay;
  }

  /** `address` was reached: its next failure starts from the first delay again. */
  reached(address: string): void {
    this.#attempts.delete(address);
  }

  /** Cancels every pending redial. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.#attempts.clear();
  }
}
