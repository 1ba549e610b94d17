/**
 * uTP packets (BEP 29): a 20-byte header, a chain of extensions (selective
 * acks are the one we read and write), then the payload. Pure: decoding
 * fills a reused header object and never allocates, as every datagram of
 * a transfer goes through it.
 *
 * @module
 */

/** Packet types, the high nibble of the first byte. */
export const ST_DATA = 0;
export const ST_FIN = 1;
export const ST_STATE = 2;
export const ST_RESET = 3;
export const ST_SYN = 4;

/** The protocol version, the low nibble of the first byte. */
export const UTP_VERSION = 1;
/** Bytes of the fixed header. */
export const HEADER_LENGTH = 20;
/** Extension 1: a bitmask of packets received after `ack + 1`. */
export const EXTENSION_SELECTIVE_ACK = 1;
/** Longest selective-ack mask read or written, in bytes (packets ack + 2 to ack + 257). */
export const MAX_SELECTIVE_ACK_BYTES = 32;
/** Extensions read before a packet is called malformed. */
const MAX_EXTENSIONS = 8;

/** A decoded header: the fields as BEP 29 names them, with where the payload starts. */
export interface UtpHeader {
  type: number;
  connectionId: number;
  /** Microseconds, wrapping at 2^32, when the packet was sent (the sender's clock). */
  timestamp: number;
  /** The sender's view of our one-way delay: its receive time minus our last timestamp. */
  timestampDifference: number;
  /** Bytes the sender can still take in. */
  windowSize: number;
  seq: number;
  ack: number;
  /** Offset of the selective-ack mask in the packet, or -1 when it has none. */
  selectiveAckOffset: number;
  selectiveAckLength: number;
  payloadOffset: number;
}

/** A header object to decode into (one per socket: decoding reuses it). */
export function emptyHeader(): UtpHeader {
  return {
    type: 0,
    connectionId: 0,
    timestamp: 0,
    timestampDifference: 0,
    windowSize: 0,
    seq: 0,
    ack: 0,
    selectiveAckOffset: -1,
    selectiveAckLength: 0,
    payloadOffset: HEADER_LENGTH,
  };
}

/**
 * Reads a packet's header and extensions into `into`.
 *
 * @returns false when it is not a well-formed uTP version 1 packet (short,
 * unknown type, an extension running past the end): such datagrams are
 * dropped. A selective-ack mask of any length is read (libtorrent sends
 * masks of 1 to 51 bytes, not the multiples of 4 that BEP 29 asks for);
 * an empty one is no mask.
 * @example
 * ```ts
 * const header = emptyHeader();
 * if (decodePacket(datagram, header)) console.log(header.type, header.seq);
 * ```
 */
export function decodePacket(bytes: Uint8Array, into: UtpHeader): boolean {
  if (bytes.length < HEADER_LENGTH) return false;
  const first = bytes[0];
  const type = first >> 4;
  if ((first & 0x0f) !== UTP_VERSION || type > ST_SYN) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  into.type = type;
  into.connectionId = view.getUint16(2);
  into.timestamp = view.getUint32(4);
  into.timestampDifference = view.getUint32(8);
  into.windowSize = view.getUint32(12);
  into.seq = view.getUint16(16);
  into.ack = view.getUint16(18);
  into.selectiveAckOffset = -1;
  into.selectiveAckLength = 0;
  let extension = bytes[1];
  let offset = HEADER_LENGTH;
  for (let count = 0; extension !== 0; count++) {
    if (count >= MAX_EXTENSIONS || offset + 2 > bytes.length) return false;
    const next = bytes[offset];
    const length = bytes[offset + 1];
    const data = offset + 2;
    if (data + length > bytes.length) return false;
    if (extension === EXTENSION_SELECTIVE_ACK && length > 0) {
      into.selectiveAckOffset = data;
      into.selectiveAckLength = Math.min(length, MAX_SELECTIVE_ACK_BYTES);
    }
    // Other extensions (libutp's extension bits, libtorrent's close reason) are skipped.
    extension = next;
    offset = data + length;
  }
  into.payloadOffset = offset;
  return true;
}

/** The fields of a packet to write. */
export interface OutgoingHeader {
  readonly type: number;
  readonly connectionId: number;
  readonly timestamp: number;
  readonly timestampDifference: number;
  readonly windowSize: number;
  readonly seq: number;
  readonly ack: number;
}

/**
 * Writes a header into `target` at 0, with a selective-ack extension when
 * `selectiveAck` is given (its length a multiple of 4, at most 32 bytes).
 *
 * @returns where the payload starts.
 * @example
 * ```ts
 * const payloadAt = encodeHeader(buffer, { type: ST_STATE, connectionId, timestamp, timestampDifference, windowSize, seq, ack });
 * ```
 */
export function encodeHeader(
  target: Uint8Array,
  header: OutgoingHeader,
  selectiveAck?: Uint8Array,
): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  target[0] = (header.type << 4) | UTP_VERSION;
  target[1] = selectiveAck ? EXTENSION_SELECTIVE_ACK : 0;
  view.setUint16(2, header.connectionId & 0xffff);
  view.setUint32(4, header.timestamp >>> 0);
  view.setUint32(8, header.timestampDifference >>> 0);
  view.setUint32(12, Math.max(0, Math.min(header.windowSize, 0xffffffff)) >>> 0);
  view.setUint16(16, header.seq & 0xffff);
  view.setUint16(18, header.ack & 0xffff);
  if (!selectiveAck) return HEADER_LENGTH;
  target[HEADER_LENGTH] = 0;
  target[HEADER_LENGTH + 1] = selectiveAck.length;
  target.set(selectiveAck, HEADER_LENGTH + 2);
  return HEADER_LENGTH + 2 + selectiveAck.length;
}

/** `a - b` on 16-bit sequence numbers, as a signed distance (-32768 to 32767). */
export function seqDistance(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}
