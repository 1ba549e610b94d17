import type { AnnounceAnswer, AnnounceRequest } from "./announce.ts";
import { TrackerFullError } from "./errors.ts";
import type { ScrapeCounts } from "./scrape.ts";
import { COMPACT_IPV4_LENGTH } from "../transport/address.ts";

/** One peer in one swarm, as the tracker remembers it. */
export interface SwarmPeer {
  /** The peer id as a binary string: the peer's identity within the swarm. */
  readonly peerId: string;
  port: number;
  /**
   * Compact form (6 bytes IPv4, 18 bytes IPv6) as a binary string, ready to
   * send; the address is read back from it when needed. A string costs a
   * fraction of a typed array's memory, and a tracker holds many peers.
   */
  compact: string;
  left: number;
  /** Milliseconds (the registry's clock) of the last announce. */
  lastSeen: number;
  name?: string;
  /** Position in its swarm's seeder or leecher list, for O(1) removal. */
  slot: number;
}

/** Something that happened in a swarm, for the tracker's log. */
export interface SwarmEvent {
  readonly kind: "joined" | "completed" | "left" | "expired";
  /** The info hash as a binary string. */
  readonly infoHash: string;
  readonly peer: SwarmPeer;
}

/**
 * Which peers an answer may hold: of both address families (an HTTP answer
 * has `peers` and `peers6`), or of one (a BEP 15 answer has one address
 * size, that of the datagram's family).
 */
export type AnswerFamily = "any" | "ipv4" | "ipv6";

const NO_PEERS: readonly SwarmPeer[] = [];

/**
 * The peers of one torrent, split into seeders and leechers so that a
 * seeder is handed leechers first, and by address family so that an answer
 * of one family picks among its own; a random pick is O(1) per peer.
 */
class Swarm {
  readonly peers = new Map<string, SwarmPeer>();
  /** IPv4 seeders and leechers. */
  readonly seeders: SwarmPeer[] = [];
  readonly leechers: SwarmPeer[] = [];
  /** IPv6 seeders and leechers, made for the first one: most swarms have none. */
  seeders6: SwarmPeer[] | undefined = undefined;
  leechers6: SwarmPeer[] | undefined = undefined;
  downloaded = 0;

  constructor(readonly infoHash: string) {}

  get seederCount(): number {
    return this.seeders.length + (this.seeders6?.length ?? 0);
  }

  get leecherCount(): number {
    return this.leechers.length + (this.leechers6?.length ?? 0);
  }

  listOf(peer: SwarmPeer): SwarmPeer[] {
    if (peer.compact.length === COMPACT_IPV4_LENGTH) {
      return peer.left === 0 ? this.seeders : this.leechers;
    }
    return peer.left === 0 ? (this.seeders6 ??= []) : (this.leechers6 ??= []);
  }

  /** The seeders (or the leechers) an answer of `family` may hold. */
  pools(seeding: boolean, family: AnswerFamily): (readonly SwarmPeer[])[] {
    const ipv4 = seeding ? this.seeders : this.leechers;
    const ipv6 = (seeding ? this.seeders6 : this.leechers6) ?? NO_PEERS;
    if (family === "ipv4") return [ipv4];
    if (family === "ipv6") return [ipv6];
    return ipv6.length === 0 ? [ipv4] : [ipv4, ipv6]; // most swarms: one pool less to walk
  }

  add(peer: SwarmPeer): void {
    const list = this.listOf(peer);
    peer.slot = list.length;
    list.push(peer);
    this.peers.set(peer.peerId, peer);
  }

  remove(peer: SwarmPeer): void {
    const list = this.listOf(peer);
    const last = list.pop()!;
    if (last !== peer) {
      list[peer.slot] = last;
      last.slot = peer.slot;
    }
    this.peers.delete(peer.peerId);
  }
}

/** Tracker timing and limits. */
export interface RegistryOptions {
  /** Seconds between a peer's announces; a peer silent for two intervals expires. */
  readonly interval: number;
  /** Seconds a peer must at least wait before announcing again for more peers. */
  readonly minInterval: number;
  /** Most swarms held at once (default: no limit). */
  readonly maxSwarms?: number;
  /** Most peers held at once, across all swarms (default: no limit). */
  readonly maxPeers?: number;
  /** The clock, in milliseconds. */
  readonly now?: () => number;
}

/**
 * Who is in which swarm, in memory. Swarm membership is soft state: peers
 * re-announce, so nothing here needs to survive a restart.
 *
 * Memory is bounded by `maxSwarms` and `maxPeers`: an announce that would
 * add a swarm or a peer beyond them is refused, except that a swarm kept
 * only for its completed-download count gives way to a new one.
 *
 * Invariants, kept by every method: a peer is in exactly one of its swarm's
 * lists, the one `listOf` names for its `left` (0: a seeder) and its
 * address family, at index `slot`; an empty swarm
 * is deleted unless it has a completed-download count worth keeping, and
 * then it is in `#emptySwarms` (oldest first).
 */
export class SwarmRegistry {
  readonly #swarms = new Map<string, Swarm>();
  /** Swarms without peers, kept for their `downloaded` count until room is needed. */
  readonly #emptySwarms = new Set<Swarm>();
  readonly #now: () => number;
  readonly #maxSwarms: number;
  readonly #maxPeers: number;
  #peerCount = 0;

  constructor(readonly options: RegistryOptions) {
    this.#now = options.now ?? Date.now;
    this.#maxSwarms = options.maxSwarms ?? Infinity;
    this.#maxPeers = options.maxPeers ?? Infinity;
  }

  /** Number of swarms and of peers across them. */
  get size(): { swarms: number; peers: number } {
    return { swarms: this.#swarms.size, peers: this.#peerCount };
  }

  /**
   * Records an announce and picks peers for the answer: never the asking
   * peer itself, leechers before seeders for a seeder, a random subset when
   * there are more than it wants, and only peers of `family`.
   *
   * @throws {TrackerFullError} when the announce would add a swarm or a peer
   *   beyond the registry's limits.
   * @example
   * ```ts
   * const { answer, events } = registry.announce(request, compact);
   * ```
   */
  announce(
    request: AnnounceRequest,
    compact: string,
    family: AnswerFamily = "any",
  ): { answer: AnnounceAnswer; events: SwarmEvent[] } {
    let swarm = this.#swarms.get(request.infoHash);
    const events: SwarmEvent[] = [];
    if (request.event === "stopped") {
      // A peer leaving a swarm it was never in (or one the tracker does not
      // know) changes nothing, and must not create the swarm.
      const peer = swarm?.peers.get(request.peerId);
      if (swarm && peer) {
        this.#remove(swarm, peer);
        events.push({ kind: "left", infoHash: swarm.infoHash, peer });
      }
      return { answer: this.#answer(swarm, []), events };
    }
    let peer = swarm?.peers.get(request.peerId);
    // Both limits are checked before anything changes, so that a refusal
    // leaves no empty swarm behind.
    if (!peer && this.#peerCount >= this.#maxPeers) {
      throw new TrackerFullError("peers", this.#maxPeers);
    }
    if (!swarm) {
      if (this.#swarms.size >= this.#maxSwarms && !this.#dropEmptySwarm()) {
        throw new TrackerFullError("swarms", this.#maxSwarms);
      }
      swarm = new Swarm(request.infoHash);
      this.#swarms.set(request.infoHash, swarm);
    }
    if (!peer) {
      peer = {
        peerId: request.peerId,
        port: request.port,
        compact,
        left: request.left,
        lastSeen: this.#now(),
        name: request.name,
        slot: 0,
      };
      swarm.add(peer);
      this.#emptySwarms.delete(swarm);
      this.#peerCount++;
      events.push({ kind: "joined", infoHash: swarm.infoHash, peer });
    } else {
      // A peer that became a seeder, or announces from the other address family, changes lists.
      if ((peer.left === 0) !== (request.left === 0) || peer.compact.length !== compact.length) {
        swarm.remove(peer);
        peer.left = request.left;
        peer.compact = compact;
        swarm.add(peer);
      }
      peer.left = request.left;
      peer.port = request.port;
      peer.compact = compact;
      peer.lastSeen = this.#now();
      if (request.name) peer.name = request.name;
    }
    if (request.event === "completed") {
      swarm.downloaded++;
      events.push({ kind: "completed", infoHash: swarm.infoHash, peer });
    }
    return {
      answer: this.#answer(swarm, this.#pick(swarm, peer, request.numwant, family)),
      events,
    };
  }

  /**
   * Seeders, leechers and completed downloads of a torrent (zeros if
   * unknown); the info hash is a binary string.
   *
   * @example
   * ```ts
   * registry.scrape(infoHash).complete;
   * ```
   */
  scrape(infoHash: string): ScrapeCounts {
    const swarm = this.#swarms.get(infoHash);
    return {
      complete: swarm?.seederCount ?? 0,
      incomplete: swarm?.leecherCount ?? 0,
      downloaded: swarm?.downloaded ?? 0,
    };
  }

  /**
   * Removes peers that have not announced for two intervals.
   *
   * @example
   * ```ts
   * setInterval(() => log(registry.expire()), 30_000);
   * ```
   */
  expire(): SwarmEvent[] {
    const cutoff = this.#now() - 2 * this.options.interval * 1000;
    const events: SwarmEvent[] = [];
    for (const swarm of this.#swarms.values()) {
      for (const peer of swarm.peers.values()) {
        if (peer.lastSeen < cutoff) {
          this.#remove(swarm, peer);
          events.push({ kind: "expired", infoHash: swarm.infoHash, peer });
        }
      }
    }
    return events;
  }

  #remove(swarm: Swarm, peer: SwarmPeer): void {
    swarm.remove(peer);
    this.#peerCount--;
    if (swarm.peers.size > 0) return;
    if (swarm.downloaded === 0) this.#swarms.delete(swarm.infoHash);
    else this.#emptySwarms.add(swarm);
  }

  /** Forgets the oldest swarm without peers; false if there is none. */
  #dropEmptySwarm(): boolean {
    const [oldest] = this.#emptySwarms;
    if (!oldest) return false;
    this.#emptySwarms.delete(oldest);
    this.#swarms.delete(oldest.infoHash);
    return true;
  }

  #pick(swarm: Swarm, asker: SwarmPeer, numwant: number, family: AnswerFamily): SwarmPeer[] {
    const seeders = swarm.pools(true, family);
    const leechers = swarm.pools(false, family);
    if (asker.left !== 0) return this.#pickFrom([...seeders, ...leechers], asker, numwant);
    // A seeder wants leechers; seeders fill what room is left, because a client fetching a
    // magnet link's metadata may announce left=0 (aria2c does) and needs someone to ask.
    const picked = this.#pickFrom(leechers, asker, numwant);
    if (picked.length < numwant) {
      picked.push(...this.#pickFrom(seeders, asker, numwant - picked.length));
    }
    return picked;
  }

  /** Up to `numwant` peers of the pools but the asker, at random when there are more. */
  #pickFrom(pools: (readonly SwarmPeer[])[], asker: SwarmPeer, numwant: number): SwarmPeer[] {
    let total = 0;
    for (const pool of pools) total += pool.length;
    const at = (index: number) => {
      let pool = 0;
      while (index >= pools[pool].length) index -= pools[pool++].length;
      return pools[pool][index];
    };
    const picked: SwarmPeer[] = [];
    if (total <= numwant + 1) {
      for (let i = 0; i < total; i++) if (at(i) !== asker) picked.push(at(i));
      return picked.slice(0, numwant);
    }
    // Sparse random choice: numwant is far below the swarm size here.
    const chosen = new Set<number>();
    while (picked.length < numwant) {
      const index = Math.floor(Math.random() * total);
      if (chosen.has(index)) continue;
      chosen.add(index);
      if (at(index) !== asker) picked.push(at(index));
    }
    return picked;
  }

  #answer(swarm: Swarm | undefined, peers: SwarmPeer[]): AnnounceAnswer {
    return {
      interval: this.options.interval,
      minInterval: this.options.minInterval,
      complete: swarm?.seederCount ?? 0,
      incomplete: swarm?.leecherCount ?? 0,
      peers,
    };
  }
}
