import { WireError } from "./errors.ts";

/** The protocol string every BitTorrent handshake starts with (BEP 3). */
export const PROTOCOL = "BitTorrent protocol";
/** Bytes of a handshake: length byte, protocol, 8 reserved, info hash, peer id. */
export const HANDSHAKE_LENGTH = 1 + 19 + 8 + 20 + 20;

/** What a peer says in its handshake. */
export interface Handshake {
  /** Extension bits; we set none and ignore the peer's. */
  readonly reserved: Uint8Array;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
}

/**
 * Encodes a handshake (BEP 3) with no extension bits.
 *
 * @example
 * ```ts
 * const bytes = encodeHandshake(torrent.infoHash, peerId); // 68 bytes
 * ```
 */
export function encodeHandshake(infoHash: Uint8Array, peerId: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_LENGTH);
  bytes[0] = PROTOCOL.length;
  for (let i = 0; i < PROTOCOL.length; i++) bytes[1 + i] = PROTOCOL.charCodeAt(i);
  bytes.set(infoHash, 28);
  bytes.set(peerId, 48);
  return bytes;
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
    infoHash: bytes.slice(28, 48),
    peerId: bytes.slice(48, 68),
  };
}
