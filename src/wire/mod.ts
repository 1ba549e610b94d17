/**
 * The BitTorrent peer wire protocol (BEP 3): handshake, messages, framing
 * with limits, bitfields and peer ids, and the extension handshake (BEP 10).
 * Pure: bytes in, values out.
 *
 * @module
 */
export { Bitfield } from "./bitfield.ts";
export { WireError } from "./errors.ts";
export {
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  parseHandshake,
  PROTOCOL,
  supportsExtensionProtocol,
} from "./handshake.ts";
export { extensionHandshake, parseExtensionHandshake, type PeerExtensions } from "./extension.ts";
export {
  BLOCK_SIZE,
  encodeMessage,
  encodePieceInto,
  MAX_REQUEST_LENGTH,
  type Message,
  MessageId,
  MessageReader,
} from "./messages.ts";
export { CLIENT_CODE, generatePeerId } from "./peer_id.ts";
