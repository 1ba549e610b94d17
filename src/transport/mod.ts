/**
 * Transports: the byte streams peers are read and written through, and how
 * they are opened and accepted, and peer addresses with their compact forms
 * (BEP 23, BEP 7) that trackers, peer exchange and the DHT pass around. TCP
 * is the one real transport today; message stream encryption wraps a
 * stream (`mse/`), and tests plug in in-memory pipes.
 *
 * @module
 */
export {
  closeQuietly,
  type Endpoint,
  formatEndpoint,
  type PeerStream,
  type StreamListener,
  type Transport,
  TransportError,
  writeAll,
} from "./stream.ts";
export {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  compactAddress,
  compactPeer,
  formatIp,
  ipv4Number,
  parseCompactPeers,
  parseIpv4,
  parseIpv6,
  type PeerAddress,
  unmapIpv4,
} from "./address.ts";
export { describeSocketError, tcpTransport } from "./tcp.ts";
export {
  bindUdp,
  type DatagramHandler,
  DatagramRouter,
  type DatagramSocket,
  MAX_DATAGRAM,
} from "./datagram.ts";
export {
  acceptMse,
  type AcceptMseOptions,
  type HandshakeClock,
  type InfoHashLookup,
  initiateMse,
  type InitiateMseOptions,
  type MseAccepted,
  type MseInitiated,
  type MseMethod,
  ServedTorrents,
} from "./mse/mod.ts";
