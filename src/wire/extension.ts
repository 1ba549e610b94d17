import { BencodeDict, decode, encode } from "../bencode/mod.ts";
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

/** What we use of a peer's extension handshake. */
export interface PeerExtensions {
  /** How many requests the peer queues for us (`reqq`), when it says. */
  readonly maxQueuedRequests?: number;
}

/**
 * Reads a peer's extension handshake (BEP 10). Only `reqq` matters to us;
 * a payload that is not a bencoded dictionary, or a `reqq` that is not a
 * positive integer, tells us nothing (the peer is not punished for it).
 *
 * @example
 * ```ts
 * const { maxQueuedRequests } = parseExtensionHandshake(message.payload);
 * ```
 */
export function parseExtensionHandshake(payload: Uint8Array): PeerExtensions {
  let dictionary;
  try {
    dictionary = decode(payload);
  } catch {
    return {};
  }
  if (!(dictionary instanceof BencodeDict)) return {};
  const reqq = dictionary.get("reqq");
  return typeof reqq === "number" && reqq > 0 ? { maxQueuedRequests: reqq } : {};
}
