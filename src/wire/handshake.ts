import { InfoHash } from "../metainfo/mod.ts";
import { WireError } from "./errors.ts";

/** The protocol string every BitTorrent handshake starts with (BEP 3). */
export const PROTOCOL = "BitTorrent protocol";
/** Bytes of a handshake: length byte, protocol, 8 reserved, info hash, peer id. */
export const HANDSHAKE_LENGTH = 1 + 19 + 8 + 20 + 20;

/** Reserved byte and bit of the extension protocol (BEP 10), the one extension we speak. */
const EXTENSION_PROTOCOL = { byte: 5, bit: 0x10 } as const;

/** What a peer says in its handshake. */
export interface Handshake {
  /** Extension bits: see {@link supportsExtensionProtocol}. */
  readonly reserved: Uint8Array;
  readonly infoHash: InfoHash;
  readonly peerId: Uint8Array;
}

/**
 * Encodes a handshake (BEP 3), announcing the extension protocol (BEP 10).
 *
 * @example
 * ```ts
 * const bytes = encodeHandshake(torrent.infoHash, peerId); // 68 bytes
 * ```
 */
export function encodeHandshake(infoHash: InfoHash, peerId: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_LENGTH);
  bytes[0] = PROTOCOL.length;
  for (let i = 0; i < PROTOCOL.length; i++) bytes[1 + i] = PROTOCOL.charCodeAt(i);
  bytes[20 + EXTENSION_PROTOCOL.byte] = EXTENSION_PROTOCOL.bit;
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
