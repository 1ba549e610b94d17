import type { Message } from "../wire/mod.ts";
import type { Peer } from "./peer.ts";

/**
 * A base-protocol feature beside the session, as a BEP 10 extension is
 * beside it for extended messages: told of each peer once its handshake is
 * through, and handed the messages the session itself has no use for (the
 * DHT's PORT message, BEP 5). Adding one is adding a plugin, not a branch
 * in the session.
 */
export interface PeerPlugin {
  /** A peer connected; its handshake's reserved bits are on `peer.reserved`. */
  onConnect?(peer: Peer): void;
  /** A message the session does not handle arrived from `peer`. */
  onMessage?(peer: Peer, message: Message): void;
}
