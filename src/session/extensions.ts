import type { EncodableValue } from "../bencode/mod.ts";
import type { InfoHash, TorrentInfo } from "../metainfo/mod.ts";
import { type Endpoint, parseIpv4, parseIpv6 } from "../transport/mod.ts";
import {
  EXTENSION_HANDSHAKE_ID,
  extensionHandshake,
  type Message,
  parseExtensionHandshake,
} from "../wire/mod.ts";
import type { Clock } from "./clock.ts";
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
  /**
   * False while the extension must not be used (peer exchange on a private
   * torrent, BEP 27): it is left out of our handshakes and hears nothing.
   */
  enabled?(): boolean;
  /** Top-level entries for our handshake (`metadata_size`, ...), read when a handshake is sent. */
  handshakeEntries?(): Record<string, EncodableValue>;
  /** A peer's extension handshake arrived (it is on `peer.extensions` already). */
  onHandshake?(peer: Peer): void;
  /** A message for this extension arrived from `peer`. */
  onMessage(peer: Peer, payload: Uint8Array): void;
  /** The peer left. */
  onClose?(peer: Peer): void;
  /** The torrent's metadata became known (from a peer, or the torrent was added with it). */
  onMetadata?(info: TorrentInfo): void;
  /** The session closed: timers stop. */
  onStop?(): void;
}

/** What the session tells and offers its extensions. */
export interface ExtensionContext {
  readonly infoHash: InfoHash;
  /** The info dictionary, once known. */
  readonly info: TorrentInfo | undefined;
  /** The peers connected now. */
  readonly peers: Iterable<Peer>;
  /** True when every piece is verified. */
  readonly complete: boolean;
  readonly clock: Clock;
  /** The port peers reach us on, when the session knows it. */
  readonly listenPort: number | undefined;
  /** Addresses of peers learned (peer exchange): connected to as the limits allow. */
  addPeers(endpoints: readonly Endpoint[]): void;
  /**
   * The info dictionary, fetched from peers and checked against the info
   * hash: the session hands it on to whoever opens the torrent's data.
   */
  metadataFound(info: TorrentInfo): void;
  /** The torrent cannot go on (its metadata, checked against the info hash, is invalid). */
  fail(error: Error): void;
  /** One line for people (the verbose log). */
  log(line: string): void;
}

/** How an extension reaches its session: the context, and sending to peers. */
export interface ExtensionHost extends ExtensionContext {
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
  readonly #context: ExtensionContext;

  /**
   * @example
   * ```ts
   * const registry = new ExtensionRegistry([utMetadata()], context);
   * ```
   */
  constructor(factories: readonly ExtensionFactory[], context: ExtensionContext) {
    this.#context = context;
    this.#extensions = factories.map((make) => make(this));
  }

  get infoHash(): InfoHash {
    return this.#context.infoHash;
  }

  get info(): TorrentInfo | undefined {
    return this.#context.info;
  }

  get peers(): Iterable<Peer> {
    return this.#context.peers;
  }

  get complete(): boolean {
    return this.#context.complete;
  }

  get clock(): Clock {
    return this.#context.clock;
  }

  get listenPort(): number | undefined {
    return this.#context.listenPort;
  }

  addPeers(endpoints: readonly Endpoint[]): void {
    this.#context.addPeers(endpoints);
  }

  metadataFound(info: TorrentInfo): void {
    this.#context.metadataFound(info);
  }

  fail(error: Error): void {
    this.#context.fail(error);
  }

  log(line: string): void {
    this.#context.log(line);
  }

  /**
   * Our extension handshake for `peer`: every enabled extension's name and
   * id and their entries, our listening port (`p`) and the address we see
   * the peer at (`yourip`, which tells a peer behind NAT its outside
   * address).
   */
  handshake(peer: Peer, maxQueuedRequests: number, client: string): Message {
    const messages: Record<string, number> = {};
    let extra: Record<string, EncodableValue> = {};
    this.#extensions.forEach((extension, index) => {
      if (extension.enabled?.() === false) return;
      messages[extension.name] = index + 1;
      extra = { ...extra, ...extension.handshakeEntries?.() };
    });
    const yourIp = parseIpv4(peer.endpoint.ip) ?? parseIpv6(peer.endpoint.ip);
    if (yourIp) extra.yourip = yourIp;
    if (this.listenPort) extra.p = this.listenPort;
    return extensionHandshake({ messages, maxQueuedRequests, client, extra });
  }

  /** The torrent's metadata became known. */
  metadataKnown(info: TorrentInfo): void {
    for (const extension of this.#extensions) extension.onMetadata?.(info);
  }

  /** The session closed. */
  stop(): void {
    for (const extension of this.#extensions) extension.onStop?.();
  }

  /** Handles an extended message from `peer`: the handshake, or one for an extension. */
  receive(peer: Peer, extendedId: number, payload: Uint8Array): void {
    if (extendedId === EXTENSION_HANDSHAKE_ID) {
      peer.extensions = parseExtensionHandshake(payload);
      if (peer.extensions.client) {
        this.log(`${peer.address}: client says it is ${JSON.stringify(peer.extensions.client)}`);
      }
      for (const extension of this.#extensions) extension.onHandshake?.(peer);
      return;
    }
    const extension = this.#extensions[extendedId - 1];
    if (extension && extension.enabled?.() !== false) extension.onMessage(peer, payload);
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
