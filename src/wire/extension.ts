import { encode } from "../bencode/mod.ts";
import type { Message } from "./messages.ts";

/**
 * Our extension handshake (BEP 10): no extension messages (`m` is empty),
 * and `reqq`, how many requests we queue for a peer. Clients that size their
 * pipelines by rate alone (Transmission asks for ten seconds' worth, which
 * is thousands of blocks on a fast link) keep to it.
 *
 * @example
 * ```ts
 * peer.send(extensionHandshake(512));
 * ```
 */
export function extensionHandshake(maxQueuedRequests: number): Message {
  return {
    type: "extended",
    extendedId: 0,
    payload: encode({ m: {}, reqq: maxQueuedRequests }),
  };
}
