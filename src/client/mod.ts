/**
 * The Client: one per process, owning the listening port, every torrent's
 * session, the peer sources (trackers, the DHT) and the process's limits.
 * Every command that joins a swarm goes through it.
 *
 * @module
 */
export {
  type AddOptions,
  Client,
  type ClientOptions,
  ClientTorrent,
  type DatagramOpener,
  type InfoHashOnly,
  MAX_PENDING_HANDSHAKES,
  type OpenedStore,
  openFiles,
  type StoreOpener,
} from "./client.ts";
export {
  DEFAULT_ENCRYPTION,
  ENCRYPTION_POLICIES,
  type EncryptionPolicy,
  type OpeningMemory,
} from "./encryption.ts";
export { PeerMemory } from "./peer_memory.ts";
export { type Dialer, TransportChoice } from "./transport_choice.ts";
export { dhtPortPlugin } from "./dht_port.ts";
export { lsdSource } from "./lsd_source.ts";
export { DHT_ANNOUNCE_INTERVAL_MS, DHT_RETRY_MS, dhtSource } from "./dht_source.ts";
export {
  acceptPeer,
  CONNECT_TIMEOUT_MS,
  dialPeer,
  HANDSHAKE_TIMEOUT_MS,
  readHandshake,
} from "./handshake_io.ts";
export type { PeerSource, PeerSourceFactory, PeerSourceStatus, SwarmView } from "./peer_source.ts";
export { trackerSource, type TrackerSourceOptions } from "./tracker_source.ts";
