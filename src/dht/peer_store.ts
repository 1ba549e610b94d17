import type { Clock } from "../session/mod.ts";
import { type Endpoint, formatEndpoint } from "../transport/mod.ts";
import { idHex } from "./node_id.ts";

/**
 * How long an announced peer is kept: peers announce again every 15 to 30
 * minutes (libtorrent and we re-announce every 15), so a peer that left
 * drops out within the hour.
 */
export const PEER_TTL_MS = 45 * 60_000;
/** Torrents whose peers a node stores, at most: a flood of announces for new hashes stops here. */
export const MAX_STORED_TORRENTS = 2_000;
/** Peers stored per torrent, at most. */
export const MAX_PEERS_PER_TORRENT = 200;
/** Peers handed out per get_peers answer: they fit in one datagram with room to spare. */
export const MAX_PEERS_PER_ANSWER = 50;

/**
 * The peers other nodes announced to us (announce_peer), by torrent, each
 * with an expiry. Bounded both ways: so many torrents and so many peers per
 * torrent, the oldest announce pushed out first, so a flood of announces
 * costs a fixed amount of memory.
 *
 * @example
 * ```ts
 * const store = new PeerStore(clock);
 * store.add(infoHash, { ip: "10.0.0.1", port: 6881 });
 * store.peers(infoHash); // [{ ip: "10.0.0.1", port: 6881 }]
 * ```
 */
export class PeerStore {
  /** By info hash hex; each torrent's peers by address, oldest announce first. */
  readonly #torrents = new Map<string, Map<string, { peer: Endpoint; expires: number }>>();
  readonly #clock: Clock;
  #count = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Torrents with peers stored. */
  get torrents(): number {
    return this.#torrents.size;
  }

  /** Peers stored, over every torrent. */
  get size(): number {
    return this.#count;
  }

  /** Stores (or renews) a peer of a torrent. */
  add(infoHash: Uint8Array, peer: Endpoint): void {
    const key = idHex(infoHash);
    let peers = this.#torrents.get(key);
    if (!peers) {
      if (this.#torrents.size >= MAX_STORED_TORRENTS) {
        this.#dropTorrent(this.#torrents.keys().next().value!);
      }
      peers = new Map();
      this.#torrents.set(key, peers);
    } else {
      // Renewed torrents move to the back: the one announced least lately goes first.
      this.#torrents.delete(key);
      this.#torrents.set(key, peers);
    }
    const address = formatEndpoint(peer);
    if (peers.delete(address)) this.#count--;
    else if (peers.size >= MAX_PEERS_PER_TORRENT) {
      peers.delete(peers.keys().next().value!);
      this.#count--;
    }
    peers.set(address, {
      peer: { ip: peer.ip, port: peer.port },
      expires: this.#clock.now() + PEER_TTL_MS,
    });
    this.#count++;
  }

  /** Up to `limit` live peers of a torrent, the latest announced first. */
  peers(infoHash: Uint8Array, limit = MAX_PEERS_PER_ANSWER): Endpoint[] {
    const peers = this.#torrents.get(idHex(infoHash));
    if (!peers) return [];
    const now = this.#clock.now();
    const found: Endpoint[] = [];
    for (const entry of [...peers.values()].reverse()) {
      if (entry.expires <= now) continue;
      found.push(entry.peer);
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Forgets the peers whose announce expired. */
  expire(): void {
    const now = this.#clock.now();
    for (const [key, peers] of this.#torrents) {
      for (const [address, entry] of peers) {
        if (entry.expires <= now) {
          peers.delete(address);
          this.#count--;
        }
      }
      if (peers.size === 0) this.#torrents.delete(key);
    }
  }

  #dropTorrent(key: string): void {
    this.#count -= this.#torrents.get(key)?.size ?? 0;
    this.#torrents.delete(key);
  }
}
