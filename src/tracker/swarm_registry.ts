import type { AnnounceAnswer, AnnounceRequest } from "./announce.ts";
import { TrackerFullError } from "./errors.ts";
import { IndexSampler } from "./index_sampler.ts";
import { PeerList, type PeerRecords, tickOf } from "./peer_list.ts";
import type { ScrapeCounts } from "./scrape.ts";
import { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH } from "../transport/address.ts";
import { WordArena } from "./word_arena.ts";

/**
 * Shortest time a peer is kept after its announce, in seconds: twice the
 * 300 s below which libtorrent (`min_announce_interval`) never announces
 * again, whatever interval a tracker asks for. With a shorter `--interval`
 * (tests use a few seconds) such a peer would otherwise expire between its
 * own announces.
 */
export const MIN_PEER_LIFETIME = 600;

/**
 * Seconds a peer is kept after its announce: twice the interval, so that
 * one lost announce does not drop it, and at least MIN_PEER_LIFETIME.
 *
 * @example
 * ```ts
 * peerLifetime(1800); // 3600
 * peerLifetime(5); // 600
 * ```
 */
export function peerLifetime(interval: number): number {
  return Math.max(2 * interval, MIN_PEER_LIFETIME);
}

/**
 * Which peers an answer may hold: of both address families (an HTTP answer
 * has `peers` and `peers6`), or of one (a BEP 15 answer has one address
 * size, that of the datagram's family).
 */
export type AnswerFamily = "any" | "ipv4" | "ipv6";

/** A peer as an event names it. */
export interface SwarmEventPeer {
  /** Compact form (6 bytes IPv4, 18 bytes IPv6) as a binary string. */
  readonly compact: string;
  readonly seeder: boolean;
  /** p2p's own `name` announce parameter, if the peer gave one. */
  readonly name?: string;
}

/** Something that happened in a swarm, for the tracker's log. */
export interface SwarmEvent {
  readonly kind: "joined" | "completed" | "left" | "expired";
  /** The info hash as a binary string. */
  readonly infoHash: string;
  readonly peer: SwarmEventPeer;
}

/** A swarm as saved to disk, and restored. */
export interface SavedSwarm {
  /** The info hash as a binary string. */
  readonly infoHash: string;
  readonly downloaded: number;
  readonly ipv4: PeerRecords;
  readonly ipv6: PeerRecords;
}

/** The registry's state at one moment, swarm by swarm. */
export interface RegistrySnapshot {
  /** The registry's clock, in whole seconds, when the snapshot began. */
  readonly savedAt: number;
  /** `SwarmRegistry.changes` when the snapshot began. */
  readonly changes: number;
  /** Each swarm is read when iterated, whole: it is consistent in itself. */
  readonly swarms: Iterable<SavedSwarm>;
}

/** Tracker timing and limits. */
export interface RegistryOptions {
  /** Seconds between a peer's announces; a peer silent for `peerLifetime(interval)` expires. */
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

const NO_PEERS = new Uint8Array(0);
const NO_SAVED_PEERS: PeerRecords = {
  seeders: 0,
  compact: new Uint8Array(0),
  secondsLeft: new Uint32Array(0),
};

/** The peers of one torrent: a list per address family, each present only while it has peers. */
class Swarm {
  ipv4: PeerList | undefined;
  ipv6: PeerList | undefined;
  downloaded = 0;
  /** p2p's peer names, by compact form: only peers that sent one cost an entry. */
  names: Map<string, string> | undefined;

  constructor(readonly infoHash: string) {}

  get seeders(): number {
    return (this.ipv4?.seeders ?? 0) + (this.ipv6?.seeders ?? 0);
  }

  get peers(): number {
    return (this.ipv4?.count ?? 0) + (this.ipv6?.count ?? 0);
  }
}

/** Which peers of a swarm a pick draws from. */
type Pool = "all" | "seeders" | "leechers";

/**
 * Who is in which swarm, in memory, compactly: each peer is a record of 8
 * bytes (20 for IPv6) in its swarm's list (see `PeerList`). A peer is its
 * address and port, as in opentracker: the peer id is not kept (so a
 * `compact=0` answer has none), a client restarted with a new id on the
 * same port stays one peer, and a `stopped` can only come from the peer's
 * own address. A swarm with no peers and no completed downloads is deleted.
 *
 * Expiry is swept, not checked per announce: `expire(budget)` goes on from
 * the swarm where the last call stopped, so a timer calling it often with a
 * small budget checks every peer in turn without a long pause.
 *
 * Memory is bounded by `maxSwarms` and `maxPeers`: an announce that would
 * add a swarm or a peer beyond them is refused, except that a swarm kept
 * only for its completed-download count gives way to a new one. Such
 * swarms are in `#emptySwarms`, oldest first.
 */
export class SwarmRegistry {
  readonly #swarms = new Map<string, Swarm>();
  /** Swarms without peers, kept for their `downloaded` count until room is needed. */
  readonly #emptySwarms = new Set<Swarm>();
  readonly #arena = new WordArena();
  /** Keys each list's index hash (see `PeerList`); unknown outside the process. */
  readonly #indexKey = crypto.getRandomValues(new Uint32Array(1))[0];
  readonly #now: () => number;
  readonly #maxSwarms: number;
  readonly #maxPeers: number;
  readonly #lifetime: number;
  #peerCount = 0;
  #changes = 0;
  /** Where the expiry sweep goes on from. */
  #sweep: Iterator<Swarm> | undefined;
  readonly #sampler = new IndexSampler();
  /** One announce's picks (see `#sample`), and its answer's compact peers: reused. */
  #picked = new Int32Array(0);
  #peers = new Uint8Array(0);
  #peers6 = new Uint8Array(0);

  constructor(readonly options: RegistryOptions) {
    this.#now = options.now ?? Date.now;
    this.#maxSwarms = options.maxSwarms ?? Infinity;
    this.#maxPeers = options.maxPeers ?? Infinity;
    this.#lifetime = peerLifetime(options.interval);
  }

  /** Number of swarms and of peers across them. */
  get size(): { swarms: number; peers: number } {
    return { swarms: this.#swarms.size, peers: this.#peerCount };
  }

  /**
   * Seeders and leechers across all swarms, counted now (a pass over the
   * swarms, not the peers: for stats pages, not for every announce).
   *
   * @example
   * ```ts
   * const { seeders, leechers } = registry.roles();
   * ```
   */
  roles(): { seeders: number; leechers: number } {
    let seeders = 0;
    for (const swarm of this.#swarms.values()) seeders += swarm.seeders;
    return { seeders, leechers: this.#peerCount - seeders };
  }

  /** Counts every change of state (announces, expiries): equal counts, nothing to save. */
  get changes(): number {
    return this.#changes;
  }

  /**
   * Records an announce and picks peers for the answer, in compact form:
   * never the asking peer itself, leechers before seeders for a seeder, a
   * random subset when there are more than it wants, and only peers of
   * `family`. The answer's `peers` and `peers6` are views of buffers the
   * next announce reuses: encode them before that.
   *
   * @param compact the peer's compact form (address and port) as a binary string
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
    const ipv6 = compact.length === COMPACT_IPV6_LENGTH;
    let swarm = this.#swarms.get(request.infoHash);
    let list = ipv6 ? swarm?.ipv6 : swarm?.ipv4;
    let slot = list ? list.find(compact) : -1;
    const events: SwarmEvent[] = [];
    if (request.event === "stopped") {
      // A peer leaving a swarm it was never in (or one the tracker does not
      // know) changes nothing, and must not create the swarm.
      if (swarm && list && slot >= 0) {
        events.push(this.#event("left", swarm, list, slot));
        this.#forget(swarm, list, slot, compact);
        this.#dropIfEmpty(swarm, list);
        this.#changes++;
      }
      return { answer: this.#answer(swarm, NO_PEERS, NO_PEERS), events };
    }
    // Both limits are checked before anything changes, so that a refusal
    // leaves no empty swarm behind.
    if (slot < 0 && this.#peerCount >= this.#maxPeers) {
      throw new TrackerFullError("peers", this.#maxPeers);
    }
    if (!swarm) {
      if (this.#swarms.size >= this.#maxSwarms && !this.#dropEmptySwarm()) {
        throw new TrackerFullError("swarms", this.#maxSwarms);
      }
      swarm = new Swarm(request.infoHash);
      this.#swarms.set(request.infoHash, swarm);
    }
    if (!list) {
      list = new PeerList(this.#arena, ipv6 ? 4 : 1, this.#indexKey);
      if (ipv6) swarm.ipv6 = list;
      else swarm.ipv4 = list;
    }
    const seeder = request.left === 0;
    const expiry = tickOf(this.#seconds() + this.#lifetime);
    if (request.name) (swarm.names ??= new Map()).set(compact, request.name);
    if (slot < 0) {
      slot = list.add(compact, expiry, seeder);
      this.#emptySwarms.delete(swarm);
      this.#peerCount++;
      events.push({
        kind: "joined",
        infoHash: swarm.infoHash,
        peer: this.#peer(swarm, compact, seeder),
      });
    } else {
      list.renew(slot, expiry);
      slot = list.setSeeder(slot, seeder);
    }
    if (request.event === "completed") {
      swarm.downloaded++;
      events.push({
        kind: "completed",
        infoHash: swarm.infoHash,
        peer: this.#peer(swarm, compact, seeder),
      });
    }
    this.#changes++;
    const picked = this.#pick(swarm, list, slot, seeder, request.numwant, family);
    return { answer: this.#answer(swarm, ...picked), events };
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
      complete: swarm?.seeders ?? 0,
      incomplete: swarm ? swarm.peers - swarm.seeders : 0,
      downloaded: swarm?.downloaded ?? 0,
    };
  }

  /**
   * The names that a torrent's seeders announced (p2p's `name` parameter),
   * at most `limit` of them, and how many seeders it has in all: the
   * tracker's page lists who seeds. Only peers that sent a name are looked
   * at, so the cost is theirs, not the swarm's.
   *
   * @example
   * ```ts
   * const { names, seeders } = registry.seederNames(infoHash, 100);
   * ```
   */
  seederNames(infoHash: string, limit: number): { names: string[]; seeders: number } {
    const swarm = this.#swarms.get(infoHash);
    const names: string[] = [];
    for (const [compact, name] of swarm?.names ?? []) {
      if (names.length >= limit) break;
      const list = compact.length === COMPACT_IPV6_LENGTH ? swarm!.ipv6 : swarm!.ipv4;
      const slot = list ? list.find(compact) : -1;
      if (slot >= 0 && slot < list!.seeders) names.push(name);
    }
    return { names, seeders: swarm?.seeders ?? 0 };
  }

  /**
   * Removes peers silent for longer than their lifetime (by up to
   * EXPIRY_TICK_SECONDS more). Goes on from the swarm where the last call
   * stopped, swarm by swarm, until it has looked at `budget` peers (or at
   * every swarm once); without a budget it sweeps every swarm.
   *
   * @example
   * ```ts
   * setInterval(() => log(registry.expire(registry.size.peers / 30)), 1000);
   * ```
   */
  expire(budget = Infinity): SwarmEvent[] {
    const now = tickOf(this.#seconds());
    const events: SwarmEvent[] = [];
    if (budget === Infinity) this.#sweep = undefined;
    let checked = 0;
    let restarts = 0;
    while (checked < budget) {
      this.#sweep ??= this.#swarms.values();
      const next = this.#sweep.next();
      if (next.done) {
        this.#sweep = undefined;
        if (budget === Infinity || ++restarts > 1) break;
        continue;
      }
      const swarm = next.value;
      checked += 1 + swarm.peers;
      for (const list of [swarm.ipv4, swarm.ipv6]) {
        if (!list) continue;
        const removed = list.sweep(now, (slot) => {
          const event = this.#event("expired", swarm, list, slot);
          events.push(event);
          this.#forgetName(swarm, event.peer.compact);
        });
        if (removed === 0) continue;
        this.#peerCount -= removed;
        this.#changes++;
        this.#dropIfEmpty(swarm, list);
      }
    }
    return events;
  }

  /**
   * The state to save: every swarm with its peers' remaining lifetimes and
   * its completed count, read swarm by swarm as `swarms` is iterated. A
   * swarm's peers are views of buffers the next swarm reuses (a save of a
   * million peers then allocates next to nothing): encode each before
   * reading on.
   *
   * @example
   * ```ts
   * const { savedAt, swarms } = registry.snapshot();
   * for (const swarm of swarms) write(swarm);
   * ```
   */
  snapshot(): RegistrySnapshot {
    const savedAt = this.#seconds();
    const tick = tickOf(savedAt);
    const all = this.#swarms;
    const scratch4 = { compact: new Uint8Array(0), secondsLeft: new Uint32Array(0) };
    const scratch6 = { ...scratch4 };
    const exported = (list: PeerList | undefined, into: typeof scratch4, entry: number) => {
      if (!list) return NO_SAVED_PEERS;
      if (into.secondsLeft.length < list.count) {
        into.compact = new Uint8Array(list.count * 2 * entry);
        into.secondsLeft = new Uint32Array(list.count * 2);
      }
      return list.export(tick, into);
    };
    function* swarms(): Generator<SavedSwarm> {
      for (const swarm of all.values()) {
        const ipv4 = exported(swarm.ipv4, scratch4, COMPACT_IPV4_LENGTH);
        const ipv6 = exported(swarm.ipv6, scratch6, COMPACT_IPV6_LENGTH);
        const peers = ipv4.secondsLeft.length + ipv6.secondsLeft.length;
        if (peers === 0 && swarm.downloaded === 0) continue;
        yield { infoHash: swarm.infoHash, downloaded: swarm.downloaded, ipv4, ipv6 };
      }
    }
    return { savedAt, changes: this.#changes, swarms: swarms() };
  }

  /**
   * Adds saved swarms (`snapshot`'s) to an empty registry. Each peer keeps
   * the lifetime it had left at `savedAt` less the time since (the clock
   * going back counts as none), at most a full lifetime; peers whose time
   * ran out are skipped. The limits apply: swarms and peers beyond them
   * are left out. Returns what was restored.
   *
   * @throws {RangeError} when the saved state is inconsistent (a swarm or a
   *   peer twice, port 0): the registry is then half-filled, to be discarded.
   * @example
   * ```ts
   * const registry = new SwarmRegistry(options);
   * registry.restore(file.savedAt, file.swarms);
   * ```
   */
  restore(savedAt: number, swarms: Iterable<SavedSwarm>): { swarms: number; peers: number } {
    const now = this.#seconds();
    const elapsed = Math.max(0, now - savedAt);
    const expiryOf = (left: number) =>
      left < elapsed ? -1 : tickOf(now + Math.min(left - elapsed, this.#lifetime));
    for (const saved of swarms) {
      if (this.#swarms.has(saved.infoHash)) throw new RangeError("a swarm is saved twice");
      if (this.#swarms.size >= this.#maxSwarms) break;
      const swarm = new Swarm(saved.infoHash);
      swarm.downloaded = saved.downloaded;
      for (const ipv6 of [false, true]) {
        const peers = ipv6 ? saved.ipv6 : saved.ipv4;
        const room = this.#maxPeers - this.#peerCount;
        if (peers.secondsLeft.length === 0 || room <= 0) continue;
        const list = new PeerList(this.#arena, ipv6 ? 4 : 1, this.#indexKey);
        this.#peerCount += list.load(peers, room, expiryOf);
        if (list.count === 0) list.release();
        else if (ipv6) swarm.ipv6 = list;
        else swarm.ipv4 = list;
      }
      if (swarm.peers === 0 && swarm.downloaded === 0) continue;
      this.#swarms.set(swarm.infoHash, swarm);
      if (swarm.peers === 0) this.#emptySwarms.add(swarm);
    }
    return this.size;
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  #peer(swarm: Swarm, compact: string, seeder: boolean): SwarmEventPeer {
    return { compact, seeder, name: swarm.names?.get(compact) };
  }

  #event(kind: SwarmEvent["kind"], swarm: Swarm, list: PeerList, slot: number): SwarmEvent {
    const peer = this.#peer(swarm, list.compactAt(slot), slot < list.seeders);
    return { kind, infoHash: swarm.infoHash, peer };
  }

  /** Removes one peer (its list and swarm stay, see `#dropIfEmpty`). */
  #forget(swarm: Swarm, list: PeerList, slot: number, compact: string): void {
    this.#forgetName(swarm, compact);
    list.remove(slot);
    this.#peerCount--;
  }

  #forgetName(swarm: Swarm, compact: string): void {
    if (swarm.names?.delete(compact) && swarm.names.size === 0) swarm.names = undefined;
  }

  /** Frees a list without peers, and forgets a swarm without peers unless it counts downloads. */
  #dropIfEmpty(swarm: Swarm, list: PeerList): void {
    if (list.count > 0) return;
    list.release();
    if (swarm.ipv4 === list) swarm.ipv4 = undefined;
    else swarm.ipv6 = undefined;
    if (swarm.peers > 0) return;
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

  /**
   * The compact IPv4 and IPv6 peers for an asker in `list` at `slot`, as
   * views of buffers reused by the next announce.
   */
  #pick(
    swarm: Swarm,
    list: PeerList,
    slot: number,
    seeder: boolean,
    numwant: number,
    family: AnswerFamily,
  ): [Uint8Array, Uint8Array] {
    const wanted = Math.min(numwant, swarm.peers - 1);
    if (wanted <= 0) return [NO_PEERS, NO_PEERS];
    if (this.#picked.length < wanted) {
      this.#picked = new Int32Array(wanted);
      this.#peers = new Uint8Array(wanted * COMPACT_IPV4_LENGTH);
      this.#peers6 = new Uint8Array(wanted * COMPACT_IPV6_LENGTH);
    }
    // A seeder wants leechers; seeders fill what room is left, because a client fetching a
    // magnet link's metadata may announce left=0 (aria2c does) and needs someone to ask.
    const ipv4 = family === "ipv6" ? undefined : swarm.ipv4;
    const ipv6 = family === "ipv4" ? undefined : swarm.ipv6;
    let count = this.#sample(ipv4, ipv6, seeder ? "leechers" : "all", wanted, list, slot, 0);
    if (seeder && count < wanted) {
      count = this.#sample(ipv4, ipv6, "seeders", wanted - count, list, slot, count);
    }
    let v4End = 0;
    let v6End = 0;
    for (let i = 0; i < count; i++) {
      const pick = this.#picked[i];
      if (pick & 1) v6End = swarm.ipv6!.writeCompact(pick >> 1, this.#peers6, v6End);
      else v4End = swarm.ipv4!.writeCompact(pick >> 1, this.#peers, v4End);
    }
    return [this.#peers.subarray(0, v4End), v6End > 0 ? this.#peers6.subarray(0, v6End) : NO_PEERS];
  }

  /**
   * Picks up to `wanted` peers of a pool of the lists given at random,
   * never the asker, into `#picked` from `start` (as slot × 2, plus 1 for
   * IPv6); returns the new end.
   */
  #sample(
    ipv4: PeerList | undefined,
    ipv6: PeerList | undefined,
    pool: Pool,
    wanted: number,
    asker: PeerList,
    askerSlot: number,
    start: number,
  ): number {
    const from4 = ipv4 && pool === "leechers" ? ipv4.seeders : 0;
    const to4 = !ipv4 ? 0 : pool === "seeders" ? ipv4.seeders : ipv4.count;
    const from6 = ipv6 && pool === "leechers" ? ipv6.seeders : 0;
    const to6 = !ipv6 ? 0 : pool === "seeders" ? ipv6.seeders : ipv6.count;
    // The asker's slot, if it is in the pool: the slots after it shift down by one.
    const skip4 = asker === ipv4 && askerSlot >= from4 && askerSlot < to4 ? askerSlot : -1;
    const skip6 = asker === ipv6 && askerSlot >= from6 && askerSlot < to6 ? askerSlot : -1;
    const size4 = to4 - from4 - (skip4 >= 0 ? 1 : 0);
    const total = size4 + to6 - from6 - (skip6 >= 0 ? 1 : 0);
    const count = Math.min(wanted, total);
    const picked = this.#picked;
    if (count === total) {
      for (let i = 0; i < total; i++) picked[start + i] = i;
    } else {
      this.#sampler.sample(total, count, picked, start);
    }
    const end = start + count;
    for (let i = start; i < end; i++) {
      const index = picked[i];
      if (index < size4) {
        const slot = from4 + index;
        picked[i] = (skip4 >= 0 && slot >= skip4 ? slot + 1 : slot) << 1;
      } else {
        const slot = from6 + index - size4;
        picked[i] = ((skip6 >= 0 && slot >= skip6 ? slot + 1 : slot) << 1) | 1;
      }
    }
    return end;
  }

  #answer(swarm: Swarm | undefined, peers: Uint8Array, peers6: Uint8Array): AnnounceAnswer {
    return {
      interval: this.options.interval,
      minInterval: this.options.minInterval,
      complete: swarm?.seeders ?? 0,
      incomplete: swarm ? swarm.peers - swarm.seeders : 0,
      peers,
      peers6,
    };
  }
}
