/** Peers unchoked at once, counting the optimistic one (as mainline BitTorrent does). */
export const DEFAULT_UPLOAD_SLOTS = 8;
/** Seconds between choking rounds (BEP 3 clients use 10). */
export const CHOKE_INTERVAL_MS = 10_000;
/** Rounds an optimistic unchoke lasts: 30 s. */
export const OPTIMISTIC_ROUNDS = 3;

/** What the choker knows of a peer. */
export interface ChokeCandidate {
  readonly id: number;
  /** Whether the peer wants data from us; only interested peers take slots. */
  readonly interested: boolean;
  /**
   * Bytes/s that rank the peer: what it gives us while we download
   * (tit-for-tat), what it takes from us while we seed (fastest first).
   */
  readonly rate: number;
}

/**
 * Chooses which peers to unchoke. Inputs: every peer's interest and rate,
 * the slot count, and the current optimistic peer. The best `slots - 1`
 * interested peers by rate keep their slots; one more slot goes to the
 * optimistic peer (a random interested peer, rotated every 30 s) so that
 * newcomers with no rate yet get a chance to prove themselves.
 *
 * @returns the ids to unchoke; every other peer is choked.
 * @example
 * ```ts
 * const unchoke = chooseUnchoked(candidates, 8, optimisticId);
 * ```
 */
export function chooseUnchoked(
  candidates: readonly ChokeCandidate[],
  slots: number,
  optimisticId: number | undefined,
): Set<number> {
  const interested = candidates.filter((peer) => peer.interested);
  if (interested.length <= slots) return new Set(interested.map((peer) => peer.id));
  const ranked = [...interested].sort((a, b) => b.rate - a.rate);
  const chosen = new Set(ranked.slice(0, slots - 1).map((peer) => peer.id));
  const optimistic = interested.find((peer) => peer.id === optimisticId && !chosen.has(peer.id));
  chosen.add(optimistic?.id ?? ranked[slots - 1].id);
  return chosen;
}

/**
 * Picks a new optimistic peer: a random interested peer outside `excluded`.
 *
 * @example
 * ```ts
 * optimisticId = pickOptimistic(candidates, regularSlots);
 * ```
 */
export function pickOptimistic(
  candidates: readonly ChokeCandidate[],
  excluded: ReadonlySet<number>,
  random: () => number = Math.random,
): number | undefined {
  const pool = candidates.filter((peer) => peer.interested && !excluded.has(peer.id));
  return pool.length === 0 ? undefined : pool[Math.floor(random() * pool.length)].id;
}

/**
 * The choking rounds of one session: which interested peers hold the upload
 * slots. A full round runs on the choke timer and rotates the optimistic
 * slot every {@link OPTIMISTIC_ROUNDS} rounds; a peer leaving or becoming
 * interested only refills the slots, so the optimistic peer keeps its 30 s
 * however much the swarm churns.
 */
export class Choker {
  #round = 0;
  #optimistic: number | undefined;

  /**
   * @example
   * ```ts
   * const choker = new Choker(8);
   * const unchoke = choker.round(candidates);
   * ```
   */
  constructor(
    readonly slots: number = DEFAULT_UPLOAD_SLOTS,
    /** Random numbers in [0, 1) for the optimistic pick; tests pass their own. */
    readonly random: () => number = Math.random,
  ) {}

  /** The timer's round: rotates the optimistic peer when its 30 s are up. */
  round(candidates: readonly ChokeCandidate[]): Set<number> {
    if (this.#round++ % OPTIMISTIC_ROUNDS === 0) {
      const regular = chooseUnchoked(candidates, this.slots - 1, undefined);
      this.#optimistic = pickOptimistic(candidates, regular, this.random);
    }
    return this.refill(candidates);
  }

  /** The same optimistic peer, the slots reassigned (a peer left). */
  refill(candidates: readonly ChokeCandidate[]): Set<number> {
    return chooseUnchoked(candidates, this.slots, this.#optimistic);
  }
}
