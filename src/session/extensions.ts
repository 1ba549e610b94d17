import type { EncodableValue } from "../bencode/mod.ts";
import {
  EXTENSION_HANDSHAKE_ID,
  extensionHandshake,
  type Message,
  parseExtensionHandshake,
} from "../wire/mod.ts";
import type { Peer } from "./peer.ts";

/**
 * One BEP 10 extension (ut_metadata, ut_pex, ...), as a module beside the
 * engine: it names itself, may add entries to our extension handshake, and
 * receives the messages peers send it. Adding an extension is adding one
 * of these, not a branch in the session.
 */
export interface Extension {
  /** Its name in the `m` dictionary, e.g. `ut_metadata`. */
  readonly name: string;
  /** Top-level entries for our handshake (`metadata_size`, ...), read when a handshake is sent. */
  handshakeEntries?(): Record<string, EncodableValue>;
  /** A peer's extension handshake arrived (it is on `peer.extensions` already). */
  onHandshake?(peer: Peer): void;
  /** A message for this extension arrived from `peer`. */
  onMessage(peer: Peer, payload: Uint8Array): void;
  /** The peer left. */
  onClose?(peer: Peer): void;
}

/** How an extension reaches its session's peers. */
export interface ExtensionHost {
  /**
   * Sends `payload` to `peer` as a message of extension `name`.
   *
   * @returns false when the peer does not speak it.
   */
  send(peer: Peer, name: string, payload: Uint8Array): boolean;
}

/** Makes a session's instance of an extension. */
export type ExtensionFactory = (host: ExtensionHost) => Extension;

/**
 * The extensions a session speaks, each under the id we chose for it (1,
 * 2, ... in registration order: BEP 10 lets each side choose its own ids).
 * It builds our handshake's `m` from them and routes each incoming extended
 * message by its id; messages to extensions we did not announce are ignored.
 */
export class ExtensionRegistry implements ExtensionHost {
  readonly #extensions: Extension[];

  /**
   * @example
   * ```ts
   * const registry = new ExtensionRegistry([(host) => new UtMetadata(host)]);
   * ```
   */
  constructor(factories: readonly ExtensionFactory[]) {
    this.#extensions = factories.map((make) => make(this));
  }

  /** Our extension handshake, with every extension's name and id and their entries. */
  handshake(maxQueuedRequests: number, client: string): Message {
    const messages: Record<string, number> = {};
    let extra: Record<string, EncodableValue> = {};
    this.#extensions.forEach((extension, index) => {
      messages[extension.name] = index + 1;
      extra = { ...extra, ...extension.handshakeEntries?.() };
    });
    return extensionHandshake({ messages, maxQueuedRequests, client, extra });
  }

  /** Handles an extended message from `peer`: the handshake, or one for an extension. */
  receive(peer: Peer, extendedId: number, payload: Uint8Array): void {
    if (extendedId === EXTENSION_HANDSHAKE_ID) {
      peer.extensions = parseExtensionHandshake(payload);
      for (const extension of this.#extensions) extension.onHandshake?.(peer);
      return;
    }
    this.#extensions[extendedId - 1]?.onMessage(peer, payload);
  }

  /** The peer left. */
  closed(peer: Peer): void {
    for (const extension of this.#extensions) extension.onClose?.(peer);
  }

  send(peer: Peer, name: string, payload: Uint8Array): boolean {
    const id = peer.extensions.messages.get(name);
    if (id === undefined) return false;
    peer.send({ type: "extended", extendedId: id, payload });
    return true;
  }
}
