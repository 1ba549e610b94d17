/**
 * Transports: the byte streams peers are read and written through, and how
 * they are opened and accepted. TCP is the one real transport today;
 * encryption will wrap a stream, and tests plug in in-memory pipes.
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
export { describeSocketError, tcpTransport } from "./tcp.ts";
