/** Pieces failing their hash that a peer may send before it is banned. */
export const DEFAULT_MAX_STRIKES = 2;

/**
 * Strikes and bans, kept under each peer's stable identity (its IP; see
 * `peerIdentity`), not under a connection: a peer that disconnects before
 * the hash check, or reconnects from a new port, keeps what it earned.
 */
export class Reputation {
  readonly #strikes = new Map<string, number>();
  readonly #banned = new Set<string>();

  constructor(readonly maxStrikes: number = DEFAULT_MAX_STRIKES) {}

  /**
   * One more strike for `identity`.
   *
   * @returns the strikes it now has; at `maxStrikes` it is banned.
   */
  strike(identity: string): number {
    const strikes = (this.#strikes.get(identity) ?? 0) + 1;
    this.#strikes.set(identity, strikes);
    if (strikes >= this.maxStrikes) this.#banned.add(identity);
    return strikes;
  }

  /** True for a peer that sent too many corrupt pieces. */
  isBanned(identity: string): boolean {
    return this.#banned.has(identity);
  }
}
