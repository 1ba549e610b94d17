/**
 * Message stream encryption (MSE, also called protocol encryption), the
 * obfuscation every common BitTorrent client speaks: a Diffie-Hellman
 * exchange, then RC4 over the stream or, if both sides agree, plaintext
 * after an encrypted handshake. It wraps a `PeerStream`: the
 * initiator's side for connections we open, the receiver's for those we
 * accept, each returning the stream to speak BitTorrent over.
 *
 * Pure parts (RC4, the exchange, the derived hashes and keys, the
 * handshake's fields) are in their own modules; `initiate.ts` and
 * `accept.ts` are the I/O.
 *
 * @module
 */
export { acceptMse, type AcceptMseOptions, type MseAccepted } from "./accept.ts";
export { type MseMethod } from "./fields.ts";
export { initiateMse, type InitiateMseOptions, type MseInitiated } from "./initiate.ts";
export { type HandshakeClock } from "./reader.ts";
export { type InfoHashLookup, ServedTorrents } from "./served_torrents.ts";
