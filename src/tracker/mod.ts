/**
 * The BitTorrent tracker: pure announce and scrape codecs (HTTP: BEP 3, 7,
 * 23, 48; UDP: BEP 15 with BEP 41's options, both directions), the server
 * with its swarm registry and persistent catalog, and the client that seed,
 * get, publish and fetch use.
 *
 * @module
 */
export {
  type AnnounceEvent,
  type AnnounceRequest,
  DEFAULT_NUMWANT,
  encodeAnnounceAnswer,
  encodeFailure,
  MAX_NUMWANT,
  parseAnnounce,
} from "./announce.ts";
export {
  Catalog,
  type CatalogEntry,
  type CatalogFile,
  LISTED_FILES,
  MAX_SEARCH_RESULTS,
} from "./catalog.ts";
export {
  type AnnounceParameters,
  type AnnounceResponse,
  buildAnnounceUrl,
  parseAnnounceResponse,
  parseScrapeResponse,
  scrapeUrlOf,
} from "./client_protocol.ts";
export { concat, readAtMost } from "./bytes.ts";
export { summarizeTorrent, type TorrentSummary } from "./torrent_summary.ts";
export { TrackerError, TrackerFullError } from "./errors.ts";
export { compactPeer, parseCompactPeers, type PeerAddress } from "../transport/address.ts";
export { parseQuery, percentEncode, queryBytes, type RawQuery } from "./query.ts";
export { encodeScrapeAnswer, parseScrape, type ScrapeCounts } from "./scrape.ts";
export {
  defaultMaxConnections,
  openFileLimit,
  parseOpenFileLimit,
  RESERVED_DESCRIPTORS,
} from "./descriptors.ts";
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_INTERVAL,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_SWARMS,
  DEFAULT_MAX_TORRENT_BYTES,
  type RunningTracker,
  startTracker,
  type TrackerOptions,
} from "./server.ts";
export { EXPIRY_TICK_SECONDS, type PeerRecords } from "./peer_list.ts";
export {
  decodeSwarmFile,
  encodeSwarmFile,
  SWARM_FILE_MAGIC,
  SWARM_FILE_VERSION,
  SwarmFileError,
} from "./swarm_file.ts";
export {
  DEFAULT_SAVE_INTERVAL,
  restoreSwarms,
  SWARM_FILE_NAME,
  SwarmSaver,
} from "./swarm_saver.ts";
export {
  type AnswerFamily,
  MIN_PEER_LIFETIME,
  peerLifetime,
  type RegistrySnapshot,
  type SavedSwarm,
  type SwarmEvent,
  type SwarmEventPeer,
  SwarmRegistry,
} from "./swarm_registry.ts";
export { CONNECTION_ID_WINDOW_MS, ConnectionIds } from "./connection_ids.ts";
export { UDP_MAX_ANSWER_BYTES, UDP_MAX_NUMWANT_IPV4, UDP_MAX_NUMWANT_IPV6 } from "./udp_tracker.ts";
export {
  ANNOUNCE_REQUEST_LENGTH,
  ANNOUNCE_RESPONSE_HEADER,
  CONNECT_LENGTH,
  decodeAnnounceRequest,
  decodeAnnounceResponse,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeErrorResponse,
  decodeScrapeRequest,
  decodeScrapeResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  MAX_UDP_SCRAPE_HASHES,
  readUdpRequestHeader,
  UDP_PROTOCOL_ID,
  UdpAction,
  type UdpAnnounceAnswer,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
  type UdpConnectRequest,
  type UdpErrorResponse,
  type UdpEvent,
  type UdpFamily,
  type UdpRequestHeader,
  type UdpScrapeRequest,
} from "./udp_protocol.ts";
export { binaryStringToBytes, binaryStringToHex, bytesToBinaryString } from "./binary_string.ts";
export {
  announce,
  type CatalogSearchResult,
  catalogUrl,
  DEFAULT_TRACKER_RETRIES,
  DEFAULT_TRACKER_TIMEOUT_MS,
  describeFetchFailure,
  downloadCatalogTorrent,
  publishTorrent,
  scrape,
  searchCatalog,
  TieredAnnouncer,
  type TrackerRequestOptions,
  unpublishTorrent,
} from "./client.ts";
