/**
 * The BitTorrent peer wire protocol: handshake, the messages of BEP 3, 6,
 * 10 and 52 and the DHT port, framing with limits, the check of messages
 * against a torrent's geometry, bitfields, peer ids, the extension
 * handshake (BEP 10), the allowed-fast set (BEP 6) and the payloads of
 * ut_metadata (BEP 9) and ut_pex (BEP 11).
 * Pure: bytes in, values out.
 *
 * @module
 */
export { allowedFastSet } from "./allowed_fast.ts";
export { Bitfield } from "./bitfield.ts";
export { WireError } from "./errors.ts";
export {
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  type HandshakeOptions,
  parseHandshake,
  PROTOCOL,
  supportsDht,
  supportsExtensionProtocol,
  supportsFast,
} from "./handshake.ts";
export {
  EXTENSION_HANDSHAKE_ID,
  extensionHandshake,
  type OurExtensionHandshake,
  parseExtensionHandshake,
  type PeerExtensions,
} from "./extension.ts";
export {
  BLOCK_SIZE,
  type BlockRange,
  encodeMessage,
  encodePieceInto,
  fitToGeometry,
  type HashRange,
  MAX_MESSAGE_LENGTH,
  MAX_REQUEST_LENGTH,
  type Message,
  MessageId,
  messageLengthLimit,
  MessageReader,
} from "./messages.ts";
export { CLIENT_CODE, describePeerId, generatePeerId } from "./peer_id.ts";
export {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_SIZE,
  type MetadataMessage,
} from "./ut_metadata.ts";
export { decodePex, encodePex, PexFlag, type PexMessage, type PexPeer } from "./ut_pex.ts";
