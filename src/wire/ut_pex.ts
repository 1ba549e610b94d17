import { BencodeDict, decode, encode } from "../bencode/mod.ts";
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  compactPeer,
  type Endpoint,
  parseCompactPeers,
} from "../transport/mod.ts";
import { WireError } from "./errors.ts";

/** What BEP 11's flags byte says of an added peer. */
export const PexFlag = {
  /** It prefers encrypted connections. */
  encryption: 0x01,
  /** It is a seed (uploads only). */
  seed: 0x02,
  /** It speaks uTP. */
  utp: 0x04,
  /** It speaks ut_holepunch. */
  holepunch: 0x08,
  /** The sender reached it by connecting out: its address accepts connections. */
  reachable: 0x10,
} as const;

/** A peer a ut_pex message adds, with its BEP 11 flags. */
export interface PexPeer extends Endpoint {
  readonly flags: number;
}

/** One ut_pex message: peers the sender connected to, and peers it let go, since its last. */
export interface PexMessage {
  readonly added: readonly PexPeer[];
  readonly dropped: readonly Endpoint[];
}

/**
 * A ut_pex message's payload: `added`/`added.f`/`dropped` for IPv4,
 * `added6`/`added6.f`/`dropped6` for IPv6, in compact form.
 *
 * @example
 * ```ts
 * host.send(peer, "ut_pex", encodePex({ added: [{ ip: "10.0.0.2", port: 6881, flags: 0 }], dropped: [] }));
 * ```
 */
export function encodePex(message: PexMessage): Uint8Array {
  const v4 = { added: [] as Uint8Array[], flags: [] as number[], dropped: [] as Uint8Array[] };
  const v6 = { added: [] as Uint8Array[], flags: [] as number[], dropped: [] as Uint8Array[] };
  const familyOf = (bytes: Uint8Array) => bytes.length === COMPACT_IPV6_LENGTH ? v6 : v4;
  for (const peer of message.added) {
    const bytes = compactPeer(peer.ip, peer.port);
    if (!bytes) continue;
    familyOf(bytes).added.push(bytes);
    familyOf(bytes).flags.push(peer.flags & 0xff);
  }
  for (const peer of message.dropped) {
    const bytes = compactPeer(peer.ip, peer.port);
    if (bytes) familyOf(bytes).dropped.push(bytes);
  }
  return encode({
    added: joined(v4.added),
    "added.f": new Uint8Array(v4.flags),
    added6: joined(v6.added),
    "added6.f": new Uint8Array(v6.flags),
    dropped: joined(v4.dropped),
    dropped6: joined(v6.dropped),
  });
}

/** Compact entries of one family (all the same length) end to end. */
function joined(entries: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(entries.reduce((sum, entry) => sum + entry.length, 0));
  entries.forEach((entry, index) => bytes.set(entry, index * entry.length));
  return bytes;
}

/**
 * Reads a ut_pex message, keeping at most `maxPerList` peers of each list
 * (the rest is not even parsed: BEP 11 allows 50 added a message, and a
 * hostile peer may send megabytes). Entries with port 0 are left out; a
 * missing or short flags string means no flags.
 *
 * @throws {WireError} when the payload is not a dictionary or a list is not whole compact entries.
 * @example
 * ```ts
 * const { added } = decodePex(payload, 50);
 * ```
 */
export function decodePex(payload: Uint8Array, maxPerList: number): PexMessage {
  let dictionary;
  try {
    dictionary = decode(payload);
  } catch (error) {
    throw new WireError(`ut_pex message is not bencoded: ${(error as Error).message}`);
  }
  if (!(dictionary instanceof BencodeDict)) {
    throw new WireError("ut_pex message is not a dictionary");
  }
  const list = (key: string, entryLength: number): Endpoint[] => {
    const value = dictionary.get(key);
    if (value === undefined) return [];
    if (!(value instanceof Uint8Array) || value.length % entryLength !== 0) {
      throw new WireError(`ut_pex ${key} is not a list of compact peers`);
    }
    return parseCompactPeers(value.subarray(0, maxPerList * entryLength), entryLength)!;
  };
  const flags = (key: string): Uint8Array => {
    const value = dictionary.get(key);
    return value instanceof Uint8Array ? value : new Uint8Array(0);
  };
  const withFlags = (peers: Endpoint[], flagBytes: Uint8Array): PexPeer[] =>
    peers.map((peer, index) => ({ ip: peer.ip, port: peer.port, flags: flagBytes[index] ?? 0 }));
  const usable = <T extends Endpoint>(peers: T[]) => peers.filter((peer) => peer.port !== 0);
  return {
    added: usable([
      ...withFlags(list("added", COMPACT_IPV4_LENGTH), flags("added.f")),
      ...withFlags(list("added6", COMPACT_IPV6_LENGTH), flags("added6.f")),
    ]),
    dropped: usable([
      ...list("dropped", COMPACT_IPV4_LENGTH),
      ...list("dropped6", COMPACT_IPV6_LENGTH),
    ]),
  };
}
