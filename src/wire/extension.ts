import { BencodeDict, decode, type EncodableValue, encode } from "../bencode/mod.ts";
import type { Message } from "./messages.ts";

/** The extended message id of the extension handshake itself (BEP 10). */
export const EXTENSION_HANDSHAKE_ID = 0;
/** Longest client name (`v`) kept from a peer's handshake: it is only shown to people. */
const MAX_CLIENT_NAME = 64;
/** Most extension names kept from one peer's `m`: no client speaks more than a few dozen. */
const MAX_EXTENSION_NAMES = 64;

/** What we say in our extension handshake (BEP 10). */
export interface OurExtensionHandshake {
  /** Extension names and the ids we want their messages to carry. */
  readonly messages: Readonly<Record<string, number>>;
  /** How many requests we queue for a peer (`reqq`). */
  readonly maxQueuedRequests: number;
  /** Our client name and version (`v`). */
  readonly client: string;
  /** Extra top-level entries an extension contributes (`metadata_size`, ...). */
  readonly extra?: Readonly<Record<string, EncodableValue>>;
}

/**
 * Our extension handshake: the `m` dictionary of the extensions we speak,
 * `reqq` (clients that size their pipelines by rate alone, as Transmission
 * does, keep to it) and `v`.
 *
 * @example
 * ```ts
 * peer.send(extensionHandshake({ messages: {}, maxQueuedRequests: 512, client: "p2p 0.1.0" }));
 * ```
 */
export function extensionHandshake(ours: OurExtensionHandshake): Message {
  return {
    type: "extended",
    extendedId: EXTENSION_HANDSHAKE_ID,
    payload: encode({
      ...ours.extra,
      m: { ...ours.messages },
      reqq: ours.maxQueuedRequests,
      v: ours.client,
    }),
  };
}

/** What a peer says in its extension handshake (BEP 10), the parts that made sense. */
export interface PeerExtensions {
  /** Extension name -> the id the peer wants that extension's messages to carry. */
  readonly messages: ReadonlyMap<string, number>;
  /** How many requests the peer queues for us (`reqq`), when it says. */
  readonly maxQueuedRequests?: number;
  /** The peer's client name and version (`v`). */
  readonly client?: string;
  /** The port the peer listens on (`p`), when it says. */
  readonly listenPort?: number;
  /** Our address as the peer sees it (`yourip`: 4 or 16 bytes). */
  readonly yourIp?: Uint8Array;
  /** Size of the info dictionary in bytes (`metadata_size`, BEP 9), when the peer has it. */
  readonly metadataSize?: number;
}

/**
 * Reads a peer's extension handshake. A payload that is not a bencoded
 * dictionary tells us nothing, and each entry of the wrong type or range
 * is left out (the peer is not punished for it): `m` entries whose id is
 * not 0 to 255 (0 means the peer disabled that extension), a `reqq` or
 * `metadata_size` that is not a positive integer, a `p` outside 1-65535,
 * a `yourip` that is not 4 or 16 bytes.
 *
 * @example
 * ```ts
 * const { messages, maxQueuedRequests } = parseExtensionHandshake(message.payload);
 * ```
 */
export function parseExtensionHandshake(payload: Uint8Array): PeerExtensions {
  let dictionary;
  try {
    dictionary = decode(payload);
  } catch {
    return { messages: new Map() };
  }
  if (!(dictionary instanceof BencodeDict)) return { messages: new Map() };
  const messages = new Map<string, number>();
  const m = dictionary.get("m");
  if (m instanceof BencodeDict) {
    for (const [name, id] of m) {
      if (messages.size >= MAX_EXTENSION_NAMES) break;
      if (typeof id === "number" && Number.isInteger(id) && id > 0 && id <= 255) {
        messages.set(name, id);
      }
    }
  }
  const positive = (key: string) => {
    const value = dictionary.get(key);
    return typeof value === "number" && value > 0 ? value : undefined;
  };
  const port = positive("p");
  const client = dictionary.get("v");
  const yourIp = dictionary.get("yourip");
  return dropUndefined({
    messages,
    maxQueuedRequests: positive("reqq"),
    client: client instanceof Uint8Array
      ? new TextDecoder().decode(client.subarray(0, MAX_CLIENT_NAME))
      : undefined,
    listenPort: port !== undefined && port <= 65535 ? port : undefined,
    yourIp: yourIp instanceof Uint8Array && (yourIp.length === 4 || yourIp.length === 16)
      ? yourIp
      : undefined,
    metadataSize: positive("metadata_size"),
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
