import type { LocalDiscovery } from "../lsd/mod.ts";
import type { PeerSource, PeerSourceFactory, SwarmView } from "./peer_source.ts";

/**
 * Local service discovery (BEP 14) as a peer source: each non-private
 * torrent is announced on the local network and the peers heard announcing
 * it are handed to it. A private torrent (BEP 27) is never announced; one
 * known by info hash only stops as soon as its metadata says it is private.
 *
 * @example
 * ```ts
 * const sources = [trackerSource(), lsdSource(new LocalDiscovery())];
 * ```
 */
export function lsdSource(discovery: LocalDiscovery): PeerSourceFactory {
  return (swarm) => (swarm.isPrivate ? undefined : new LsdAnnouncer(discovery, swarm));
}

class LsdAnnouncer implements PeerSource {
  #leave: (() => void) | undefined;
  status: { answered: boolean; lastError?: string } = { answered: false };

  constructor(readonly discovery: LocalDiscovery, readonly swarm: SwarmView) {}

  start(): void {
    if (this.#leave) return;
    this.#leave = this.discovery.register(this.swarm.infoHash, this.swarm.port, (peer) => {
      if (this.swarm.isPrivate) {
        this.#leave?.();
        return;
      }
      this.status = { answered: true };
      this.swarm.addPeers([peer]);
    });
  }

  stop(): Promise<void> {
    this.#leave?.();
    return Promise.resolve();
  }
}
