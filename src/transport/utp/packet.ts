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
 * unknown type, an extension running past the end, an empty selective-ack
 * mask): such datagrams are dropped.
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
  into.type = type;
  into.connectionId = readUint16(bytes, 2);
  into.timestamp = readUint32(bytes, 4);
  into.timestampDifference = readUint32(bytes, 8);
  into.windowSize = readUint32(bytes, 12);
  into.seq = readUint16(bytes, 16);
  into.ack = readUint16(bytes, 18);
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
    if (extension === EXTENSION_SELECTIVE_ACK) {
      // BEP 29 asks for a multiple of 4 bytes, but libtorrent sends as many as
      // its out-of-order packets need (1 to 32): refusing those would drop
      // every ack it sends after a loss.
      if (length === 0) return false;
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
  target[0] = (header.type << 4) | UTP_VERSION;
  target[1] = selectiveAck ? EXTENSION_SELECTIVE_ACK : 0;
  writeUint16(target, 2, header.connectionId);
  writeUint32(target, 4, header.timestamp);
  writeUint32(target, 8, header.timestampDifference);
  writeUint32(target, 12, Math.max(0, Math.min(header.windowSize, 0xffffffff)));
  writeUint16(target, 16, header.seq);
  writeUint16(target, 18, header.ack);
  if (!selectiveAck) return HEADER_LENGTH;
  target[HEADER_LENGTH] = 0;
  target[HEADER_LENGTH + 1] = selectiveAck.length;
  target.set(selectiveAck, HEADER_LENGTH + 2);
  return HEADER_LENGTH + 2 + selectiveAck.length;
}

// Big-endian fields by hand: a DataView per packet would be an allocation on every datagram.
function readUint16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

function readUint32(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function writeUint16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  const word = value >>> 0;
  bytes[at] = word >>> 24;
  bytes[at + 1] = (word >>> 16) & 0xff;
  bytes[at + 2] = (word >>> 8) & 0xff;
  bytes[at + 3] = word & 0xff;
}

/** `a - b` on 16-bit sequence numbers, as a signed distance (-32768 to 32767). */
export function seqDistance(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}
