import type { DhtNode } from "../dht/mod.ts";
import type { Timer } from "../session/mod.ts";
import type { PeerSource, PeerSourceFactory, SwarmView } from "./peer_source.ts";

/**
 * How often a torrent announces itself into the DHT: announces live 45
 * minutes in our peer store (30 in libtorrent's), so every 15 keeps us
 * listed with room for a lost round.
 */
export const DHT_ANNOUNCE_INTERVAL_MS = 15 * 60_000;
/**
 * How soon a downloader with few peers asks the DHT again: soon at first
 * (a seed may announce a moment after we looked), then less often, up to a minute.
 */
export const DHT_RETRY_MS = { first: 5_000, max: 60_000 } as const;
/** Below this many peers a downloader keeps asking at {@link DHT_RETRY_MS}. */
const FEW_PEERS = 5;

/**
 * The DHT as a peer source (BEP 5): each torrent looks its peers up with
 * get_peers and announces itself to the nodes nearest its info hash, again
 * every 15 minutes (sooner while a download has few peers). A
 * private torrent (BEP 27) never touches the DHT; a torrent known only by
 * its info hash looks up until its metadata says it is private.
 *
 * @example
 * ```ts
 * const sources = [trackerSource(), dhtSource(node)];
 * ```
 */
export function dhtSource(node: DhtNode, log?: (line: string) => void): PeerSourceFactory {
  return (swarm) => (swarm.isPrivate ? undefined : new DhtAnnouncer(node, swarm, log));
}

class DhtAnnouncer implements PeerSource {
  #timer: Timer | undefined;
  #stopped = false;
  #started = false;
  #retryMs: number = DHT_RETRY_MS.first;
  status: { answered: boolean; lastError?: string } = { answered: false };

  constructor(
    readonly node: DhtNode,
    readonly swarm: SwarmView,
    readonly log: ((line: string) => void) | undefined,
  ) {}

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.node.ready.then(() => this.#round());
  }

  async #round(): Promise<void> {
    if (this.#stopped) return;
    // Metadata that arrived since the last round may say the torrent is private.
    if (this.swarm.isPrivate) return;
    try {
      const result = await this.node.announce(this.swarm.infoHash.bytes, this.swarm.port);
      if (this.#stopped) return;
      if (result.replies > 0) {
        this.status = { answered: true };
      } else {
        this.status = { answered: this.status.answered, lastError: "DHT: no node answered" };
      }
      this.log?.(
        `DHT: ${result.peers.length} peers for ${this.swarm.infoHash.hex.slice(0, 8)}, ` +
          `announced to ${result.announcedTo} nodes`,
      );
      this.swarm.addPeers(result.peers);
    } catch (error) {
      this.status = {
        answered: this.status.answered,
        lastError: `DHT: ${error instanceof Error ? error.message : error}`,
      };
    }
    if (this.#stopped) return;
    const soon = !this.swarm.complete && this.swarm.wantsPeers &&
      this.swarm.peerCount < FEW_PEERS;
    const wait = soon ? this.#retryMs : DHT_ANNOUNCE_INTERVAL_MS;
    this.#retryMs = soon ? Math.min(this.#retryMs * 2, DHT_RETRY_MS.max) : DHT_RETRY_MS.first;
    this.#timer = this.node.clock.after(wait, () => this.#round());
  }

  stop(): Promise<void> {
    // The DHT has no goodbye: our announces expire on their own.
    this.#stopped = true;
    this.#timer?.cancel();
    return Promise.resolve();
  }
}
