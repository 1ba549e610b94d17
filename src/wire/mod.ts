/**
 * The BitTorrent peer wire protocol (BEP 3): handshake, messages, framing
 * with limits, bitfields and peer ids. Pure: bytes in, values out.
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
} from "./handshake.ts";
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
