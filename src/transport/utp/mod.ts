/**
 * uTP (BEP 29): BitTorrent over UDP with LEDBAT congestion control, the
 * transport Transmission, libtorrent-based clients and WebTorrent try
 * first. A {@link UtpSocket} holds every connection on the Client's shared
 * UDP socket; each {@link UtpConnection} is a {@link PeerStream} like a TCP
 * socket.
 *
 * @module
 */
export { type UtpClock, UtpConnection } from "./connection.ts";
export {
  MAX_CONNECTIONS_PER_ADDRESS,
  type PacketOutlet,
  UtpSocket,
  type UtpSocketOptions,
} from "./socket.ts";
export {
  decodePacket,
  emptyHeader,
  encodeHeader,
  HEADER_LENGTH,
  type OutgoingHeader,
  seqDistance,
  ST_DATA,
  ST_FIN,
  ST_RESET,
  ST_STATE,
  ST_SYN,
  type UtpHeader,
} from "./packet.ts";
