import type { TorrentInfo } from "../metainfo/mod.ts";
import { allowedFastSet, type Bitfield, type Message } from "../wire/mod.ts";
import type { Peer } from "./peer.ts";

/**
 * The Fast extension (BEP 6) as the session speaks it, beside the engine:
 * what a peer is told first, our allowed-fast set for each peer, and which
 * messages belong to the extension. The download scheduler handles rejects
 * and allowed-fast pieces from peers; the upload side answers requests
 * with rejects and serves a choked peer its allowed-fast pieces.
 *
 * @module
 */

/** Pieces in the allowed-fast set we give each Fast peer: the `k` BEP 6 suggests. */
export const ALLOWED_FAST_COUNT = 10;
/**
 * Torrents of fewer pieces give no allowed-fast set: it would be a large
 * share of a small torrent, free to a peer that is never unchoked, and the
 * optimistic unchoke reaches a newcomer of a small swarm soon anyway.
 */
export const MIN_PIECES_FOR_ALLOWED_FAST = 2 * ALLOWED_FAST_COUNT;
/**
 * Allowed-fast pieces kept per peer: the BEP's own figure is 10,
 * libtorrent offers 5; more are ignored, so a flood of them costs nothing.
 */
export const MAX_ALLOWED_FAST_KEPT = 64;
/** Rejects of requests we never made that a peer may send before it is dropped. */
export const MAX_UNASKED_REJECTS = 16;

/** The message types BEP 6 adds: a peer that did not announce it must not send them. */
const FAST_MESSAGES: ReadonlySet<Message["type"]> = new Set([
  "have-all",
  "have-none",
  "suggest",
  "reject",
  "allowed-fast",
]);

/**
 * Whether a message belongs to the Fast extension. BEP 6: a peer that
 * receives one on a connection without the extension must close it.
 *
 * @example
 * ```ts
 * if (!peer.fast && isFastMessage(message)) peer.close("protocol violation");
 * ```
 */
export function isFastMessage(message: Message): boolean {
  return FAST_MESSAGES.has(message.type);
}

/**
 * What tells a peer our pieces, first after the handshakes: to a Fast peer
 * have-all, have-none or the bitfield (BEP 6 requires one of them); to
 * others the bitfield, or nothing when we have no piece.
 *
 * @example
 * ```ts
 * const first = piecesMessage(peer, have);
 * if (first) peer.send(first);
 * ```
 */
export function piecesMessage(peer: Peer, have: Bitfield): Message | undefined {
  if (peer.fast && have.complete) return { type: "have-all" };
  if (have.count > 0) return { type: "bitfield", bitfield: have };
  return peer.fast ? { type: "have-none" } : undefined;
}

/**
 * Once the metadata is known: drops the allowed-fast pieces a Fast peer
 * named before (outside the torrent they mean nothing), computes our
 * allowed-fast set for it and offers it the pieces of that set we have. The
 * rest of the set is offered as each piece is verified.
 */
export function welcomeFast(peer: Peer, info: TorrentInfo, have: Bitfield): void {
  if (!peer.fast) return;
  for (const index of peer.allowedFastByPeer) {
    if (index >= info.pieceCount || have.has(index)) peer.allowedFastByPeer.delete(index);
  }
  if (info.pieceCount < MIN_PIECES_FOR_ALLOWED_FAST) return;
  peer.allowedFastByUs = new Set(
    allowedFastSet(info.infoHash, peer.endpoint.ip, info.pieceCount, ALLOWED_FAST_COUNT),
  );
  for (const index of peer.allowedFastByUs) offerAllowedFast(peer, index, have);
}

/**
 * Keeps a piece a peer allows us while it chokes it, up to
 * {@link MAX_ALLOWED_FAST_KEPT}.
 *
 * @returns whether it was kept.
 */
export function rememberAllowedFast(peer: Peer, index: number): boolean {
  if (peer.allowedFastByPeer.size >= MAX_ALLOWED_FAST_KEPT) return false;
  peer.allowedFastByPeer.add(index);
  return true;
}

/**
 * A reject of a request we never made: a few cross our cancels, many are
 * an attack, and the peer is dropped past {@link MAX_UNASKED_REJECTS}.
 */
export function unaskedReject(peer: Peer): void {
  if (++peer.unaskedRejects > MAX_UNASKED_REJECTS) {
    peer.close(`sent ${peer.unaskedRejects} rejects of requests nobody made`);
  }
}

/** Tells a peer it may ask for piece `index` while choked, if it is in its set and we have it. */
export function offerAllowedFast(peer: Peer, index: number, have: Bitfield): void {
  if (peer.allowedFastByUs.has(index) && have.has(index) && !peer.have?.has(index)) {
    peer.send({ type: "allowed-fast", index });
  }
}
