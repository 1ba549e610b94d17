/**
 * Local service discovery (BEP 14): announces of the torrents we take part
 * in on the local network's multicast groups, and the peers heard
 * announcing them. The message codec is pure; `LocalDiscovery` owns the
 * sockets and the BEP's rate limits.
 *
 * @module
 */
export {
  LocalDiscovery,
  type LocalDiscoveryOptions,
  LSD_ANNOUNCE_INTERVAL_MS,
  LSD_MIN_GAP_MS,
  type LsdOpener,
  type LsdSockets,
  openMulticast,
} from "./discovery.ts";
export {
  encodeLsdAnnounce,
  LSD_IPV4,
  LSD_IPV6,
  type LsdAnnounce,
  LsdError,
  MAX_LSD_BYTES,
  MAX_LSD_INFO_HASHES,
  parseLsdAnnounce,
} from "./message.ts";
