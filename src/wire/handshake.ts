import { InfoHash } from "../metainfo/mod.ts";
import { WireError } from "./errors.ts";

/** The protocol string every BitTorrent handshake starts with (BEP 3). */
export const PROTOCOL = "BitTorrent protocol";
/** Bytes of a handshake: length byte, protocol, 8 reserved, info hash, peer id. */
export const HANDSHAKE_LENGTH = 1 + 19 + 8 + 20 + 20;

/** Reserved byte and bit of the extension protocol (BEP 10). */
const EXTENSION_PROTOCOL = { byte: 5, bit: 0x10 } as const;
/** Reserved byte and bit of the Fast extension (BEP 6): `reserved[7] |= 0x04`. */
const FAST_EXTENSION = { byte: 7, bit: 0x04 } as const;
/** Reserved byte and bit of the DHT (BEP 5): `reserved[7] |= 0x01`, then PORT messages. */
const DHT = { byte: 7, bit: 0x01 } as const;

/** What a peer says in its handshake. */
export interface Handshake {
  /** Extension bits: see {@link supportsExtensionProtocol} and {@link supportsFast}. */
  readonly reserved: Uint8Array;
  readonly infoHash: InfoHash;
  readonly peerId: Uint8Array;
}

/** What a handshake we encode announces besides the extension protocol. */
export interface HandshakeOptions {
  /**
   * Announce the Fast extension (BEP 6); true unless said otherwise. Our
   * sessions speak it; false makes the handshake of a peer that does not
   * (tests play such peers).
   */
  readonly fast?: boolean;
  /** Announce a DHT node (BEP 5): the peer may then send its DHT port. */
  readonly dht?: boolean;
}

/**
 * Encodes a handshake (BEP 3), announcing the extension protocol (BEP 10)
 * and the Fast extension (BEP 6).
 *
 * @example
 * ```ts
 * const bytes = encodeHandshake(torrent.infoHash, peerId); // 68 bytes
 * ```
 */
export function encodeHandshake(
  infoHash: InfoHash,
  peerId: Uint8Array,
  { fast = true, dht = false }: HandshakeOptions = {},
): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_LENGTH);
  bytes[0] = PROTOCOL.length;
  for (let i = 0; i < PROTOCOL.length; i++) bytes[1 + i] = PROTOCOL.charCodeAt(i);
  bytes[20 + EXTENSION_PROTOCOL.byte] = EXTENSION_PROTOCOL.bit;
  if (fast) bytes[20 + FAST_EXTENSION.byte] |= FAST_EXTENSION.bit;
  if (dht) bytes[20 + DHT.byte] |= DHT.bit;
  bytes.set(infoHash.bytes, 28);
  bytes.set(peerId, 48);
  return bytes;
}

/**
 * Whether a peer's handshake announces the extension protocol (BEP 10), so
 * that it reads our extension handshake.
 *
 * @example
 * ```ts
 * if (supportsExtensionProtocol(handshake.reserved)) peer.send(extensionHandshake(512));
 * ```
 */
export function supportsExtensionProtocol(reserved: Uint8Array): boolean {
  return (reserved[EXTENSION_PROTOCOL.byte] & EXTENSION_PROTOCOL.bit) !== 0;
}

/**
 * Whether a peer's handshake announces the Fast extension (BEP 6). Ours
 * always does, and BEP 6 holds between two peers when both handshakes have
 * the bit: then it is on for the connection.
 *
 * @example
 * ```ts
 * if (supportsFast(handshake.reserved)) peer.send({ type: "have-none" });
 * ```
 */
export function supportsFast(reserved: Uint8Array): boolean {
  return (reserved[FAST_EXTENSION.byte] & FAST_EXTENSION.bit) !== 0;
}

/**
 * Whether a peer's handshake announces a DHT node (BEP 5): it wants our
 * PORT message and may send its own.
 *
 * @example
 * ```ts
 * if (supportsDht(handshake.reserved)) peer.send({ type: "port", port: dhtPort });
 * ```
 */
export function supportsDht(reserved: Uint8Array): boolean {
  return (reserved[DHT.byte] & DHT.bit) !== 0;
}

/**
 * Parses the first 68 bytes of a connection as a handshake.
 *
 * @throws {WireError} when it is not the BitTorrent protocol.
 * @example
 * ```ts
 * const { infoHash, peerId } = parseHandshake(first68Bytes);
 * ```
 */
export function parseHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new WireError(`handshake of ${bytes.length} bytes, not ${HANDSHAKE_LENGTH}`);
  }
  let matches = bytes[0] === PROTOCOL.length;
  for (let i = 0; matches && i < PROTOCOL.length; i++) {
    matches = bytes[1 + i] === PROTOCOL.charCodeAt(i);
  }
  if (!matches) throw new WireError("not a BitTorrent handshake");
  return {
    reserved: bytes.slice(20, 28),
    infoHash: InfoHash.fromBytes(bytes.subarray(28, 48)),
    peerId: bytes.slice(48, 68),
  };
}
