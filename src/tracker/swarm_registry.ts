import type { AnnounceAnswer, AnnounceRequest } from "./announce.ts";
import type { ScrapeCounts } from "./scrape.ts";

/** One peer in one swarm, as the tracker remembers it. */
export interface SwarmPeer {
  /** The peer id as a binary string: the peer's identity within the swarm. */
  readonly key: string;
  readonly peerId: Uint8Array;
  ip: string;
  port: number;
  /** Compact form (6 bytes IPv4, 18 bytes IPv6) ready to send. */
  compact: Uint8Array;
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
  readonly infoHash: Uint8Array;
  readonly peer: SwarmPeer;
}

/**
 * The peers of one torrent, split into seeders and leechers so that a
 * seeder is handed only leechers and a random pick is O(1) per peer.
 */
class Swarm {
  readonly peers = new Map<string, SwarmPeer>();
  readonly seeders: SwarmPeer[] = [];
  readonly leechers: SwarmPeer[] = [];
  downloaded = 0;

  constructor(readonly infoHash: Uint8Array) {}

  listOf(peer: SwarmPeer): SwarmPeer[] {
    return peer.left === 0 ? this.seeders : this.leechers;
  }

  add(peer: SwarmPeer): void {
    const list = this.listOf(peer);
    peer.slot = list.length;
    list.push(peer);
    this.peers.set(peer.key, peer);
  }

  remove(peer: SwarmPeer): void {
    const list = this.listOf(peer);
    const last = list.pop()!;
    if (last !== peer) {
      list[peer.slot] = last;
      last.slot = peer.slot;
    }
    this.peers.delete(peer.key);
  }
}

/** The announce answer's peer entries, as the protocol encoder takes them. */
type AnswerPeer = AnnounceAnswer["peers"][number];

/** Tracker timing. */
export interface RegistryOptions {
  /** Seconds between a peer's announces; a peer silent for two intervals expires. */
  readonly interval: number;
  /** Seconds a peer must at least wait before announcing again for more peers. */
  readonly minInterval: number;
  /** The clock, in milliseconds. */
  readonly now?: () => number;
}

/**
 * Who is in which swarm, in memory. Swarm membership is soft state: peers
 * re-announce, so nothing here needs to survive a restart.
 *
 * Invariants, kept by every method: a peer is in exactly one of its swarm's
 * `seeders` (left = 0) or `leechers` lists, at index `slot`; an empty swarm
 * is deleted unless it has a completed-download count worth keeping.
 */
export class SwarmRegistry {
  readonly #swarms = new Map<string, Swarm>();
  readonly #now: () => number;
  #peerCount = 0;

  constructor(readonly options: RegistryOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Number of swarms and of peers across them. */
  get size(): { swarms: number; peers: number } {
    return { swarms: this.#swarms.size, peers: this.#peerCount };
  }

  /**
   * Records an announce and picks peers for the answer: never the asking
   * peer itself, only leechers for a seeder, a random subset when there are
   * more than it wants.
   *
   * @example
   * ```ts
   * const { answer, events } = registry.announce(request, "127.0.0.1", compact);
   * ```
   */
  announce(
    request: AnnounceRequest,
    ip: string,
    compact: Uint8Array,
  ): { answer: AnnounceAnswer; events: SwarmEvent[] } {
    const swarmKey = binaryKey(request.infoHash);
    let swarm = this.#swarms.get(swarmKey);
    if (!swarm) {
      swarm = new Swarm(request.infoHash);
      this.#swarms.set(swarmKey, swarm);
    }
    const events: SwarmEvent[] = [];
    const peerKey = binaryKey(request.peerId);
    let peer = swarm.peers.get(peerKey);
    if (request.event === "stopped") {
      if (peer) {
        this.#remove(swarm, peer);
        events.push({ kind: "left", infoHash: swarm.infoHash, peer });
      }
      return { answer: this.#answer(swarm, []), events };
    }
    if (!peer) {
      peer = {
        key: peerKey,
        peerId: request.peerId,
        ip,
        port: request.port,
        compact,
        left: request.left,
        lastSeen: this.#now(),
        name: request.name,
        slot: 0,
      };
      swarm.add(peer);
      this.#peerCount++;
      events.push({ kind: "joined", infoHash: swarm.infoHash, peer });
    } else {
      if ((peer.left === 0) !== (request.left === 0)) {
        swarm.remove(peer);
        peer.left = request.left;
        swarm.add(peer);
      }
      peer.left = request.left;
      peer.ip = ip;
      peer.port = request.port;
      peer.compact = compact;
      peer.lastSeen = this.#now();
      if (request.name) peer.name = request.name;
    }
    if (request.event === "completed") {
      swarm.downloaded++;
      events.push({ kind: "completed", infoHash: swarm.infoHash, peer });
    }
    return { answer: this.#answer(swarm, this.#pick(swarm, peer, request.numwant)), events };
  }

  /**
   * Seeders, leechers and completed downloads of a torrent (zeros if unknown).
   *
   * @example
   * ```ts
   * registry.scrape(infoHash).complete;
   * ```
   */
  scrape(infoHash: Uint8Array): ScrapeCounts {
    const swarm = this.#swarms.get(binaryKey(infoHash));
    return {
      complete: swarm?.seeders.length ?? 0,
      incomplete: swarm?.leechers.length ?? 0,
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
    if (swarm.peers.size === 0 && swarm.downloaded === 0) {
      this.#swarms.delete(binaryKey(swarm.infoHash));
    }
  }

  #pick(swarm: Swarm, asker: SwarmPeer, numwant: number): SwarmPeer[] {
    const pools = asker.left === 0 ? [swarm.leechers] : [swarm.seeders, swarm.leechers];
    const total = pools.reduce((sum, pool) => sum + pool.length, 0);
    const at = (index: number) =>
      index < pools[0].length ? pools[0][index] : pools[1][index - pools[0].length];
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

  #answer(swarm: Swarm, peers: SwarmPeer[]): AnnounceAnswer {
    return {
      interval: this.options.interval,
      minInterval: this.options.minInterval,
      complete: swarm.seeders.length,
      incomplete: swarm.leechers.length,
      peers: peers.map((peer): AnswerPeer => ({
        compact: peer.compact,
        ip: peer.ip,
        port: peer.port,
        peerId: peer.peerId,
      })),
    };
  }
}

/** Bytes as a binary string (one character per byte): a cheap, exact map key. */
export function binaryKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
