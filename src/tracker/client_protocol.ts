import type { InfoHash } from "../metainfo/mod.ts";
import { BencodeDict, BencodeError, type BencodeValue, decode } from "../bencode/mod.ts";
import type { AnnounceEvent } from "./announce.ts";
import { binaryStringToHex } from "./binary_string.ts";
import { TrackerError } from "./errors.ts";
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  parseCompactPeers,
  type PeerAddress,
} from "../transport/address.ts";
import { percentEncode } from "./query.ts";
import type { ScrapeCounts } from "./scrape.ts";

/** What a client says in an announce. */
export interface AnnounceParameters {
  readonly infoHash: InfoHash;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event?: AnnounceEvent;
  readonly numwant?: number;
  readonly key?: string;
  /** p2p's `name` extension, shown in p2p tracker's log. */
  readonly name?: string;
}

/**
 * The full announce URL for `announceUrl` (which may carry its own query).
 *
 * @example
 * ```ts
 * buildAnnounceUrl("http://127.0.0.1:6969/announce", parameters);
 * ```
 */
export function buildAnnounceUrl(announceUrl: string, parameters: AnnounceParameters): string {
  const fields = [
    `info_hash=${percentEncode(parameters.infoHash.bytes)}`,
    `peer_id=${percentEncode(parameters.peerId)}`,
    `port=${parameters.port}`,
    `uploaded=${parameters.uploaded}`,
    `downloaded=${parameters.downloaded}`,
    `left=${parameters.left}`,
    "compact=1",
  ];
  if (parameters.event) fields.push(`event=${parameters.event}`);
  if (parameters.numwant !== undefined) fields.push(`numwant=${parameters.numwant}`);
  if (parameters.key) fields.push(`key=${encodeURIComponent(parameters.key)}`);
  if (parameters.name) fields.push(`name=${encodeURIComponent(parameters.name)}`);
  return `${announceUrl}${announceUrl.includes("?") ? "&" : "?"}${fields.join("&")}`;
}

/**
 * The scrape URL of an announce URL by the BEP 48 convention (the last path
 * segment `announce` becomes `scrape`), or null when it has no such segment.
 *
 * @example
 * ```ts
 * scrapeUrlOf("http://t:6969/announce"); // "http://t:6969/scrape"
 * ```
 */
export function scrapeUrlOf(announceUrl: string): string | null {
  const url = new URL(announceUrl);
  const slash = url.pathname.lastIndexOf("/");
  if (!url.pathname.slice(slash + 1).startsWith("announce")) return null;
  url.pathname = url.pathname.slice(0, slash + 1) + "scrape" +
    url.pathname.slice(slash + 1 + "announce".length);
  return url.toString();
}

/** A tracker's answer to an announce, as a client sees it. */
export interface AnnounceResponse {
  readonly interval: number;
  readonly minInterval?: number;
  readonly complete?: number;
  readonly incomplete?: number;
  readonly peers: PeerAddress[];
  readonly warning?: string;
}

const text = new TextDecoder();

function decodeDict(bytes: Uint8Array, what: string): BencodeDict {
  let value: BencodeValue;
  try {
    value = decode(bytes);
  } catch (error) {
    if (error instanceof BencodeError) {
      throw new TrackerError(`the tracker's ${what} answer is not bencode (${error.message})`);
    }
    throw error;
  }
  if (!(value instanceof BencodeDict)) {
    throw new TrackerError(`the tracker's ${what} answer is not a dictionary`);
  }
  const failure = value.get("failure reason");
  if (failure instanceof Uint8Array) {
    throw new TrackerError(`tracker refused: ${text.decode(failure)}`);
  }
  return value;
}

function optionalCount(dict: BencodeDict, key: string): number | undefined {
  const value = dict.get(key);
  return typeof value === "number" && value >= 0 ? value : undefined;
}

function dictionaryPeers(list: BencodeValue[]): PeerAddress[] {
  const peers: PeerAddress[] = [];
  for (const entry of list) {
    if (!(entry instanceof BencodeDict)) continue;
    const ip = entry.get("ip");
    const port = entry.get("port");
    const peerId = entry.get("peer id");
    if (!(ip instanceof Uint8Array) || typeof port !== "number" || port < 1 || port > 65535) {
      continue;
    }
    peers.push({
      ip: text.decode(ip),
      port,
      peerId: peerId instanceof Uint8Array && peerId.length === 20 ? peerId : undefined,
    });
  }
  return peers;
}

/**
 * Reads a tracker's announce answer: compact or dictionary peers, and
 * `peers6` (BEP 7).
 *
 * @throws {TrackerError} with the tracker's `failure reason`, or when the answer is malformed.
 * @example
 * ```ts
 * const { interval, peers } = parseAnnounceResponse(body);
 * ```
 */
export function parseAnnounceResponse(bytes: Uint8Array): AnnounceResponse {
  const dict = decodeDict(bytes, "announce");
  const interval = dict.get("interval");
  if (typeof interval !== "number" || interval < 0) {
    throw new TrackerError("the tracker's announce answer has no valid interval");
  }
  const peers: PeerAddress[] = [];
  const peersValue = dict.get("peers");
  if (peersValue instanceof Uint8Array) {
    const compact = parseCompactPeers(peersValue, COMPACT_IPV4_LENGTH);
    if (!compact) {
      throw new TrackerError("the tracker's compact peers are not a multiple of 6 bytes");
    }
    peers.push(...compact);
  } else if (Array.isArray(peersValue)) {
    peers.push(...dictionaryPeers(peersValue));
  }
  const peers6 = dict.get("peers6");
  if (peers6 instanceof Uint8Array) {
    const compact = parseCompactPeers(peers6, COMPACT_IPV6_LENGTH);
    if (!compact) throw new TrackerError("the tracker's peers6 are not a multiple of 18 bytes");
    peers.push(...compact);
  }
  const warning = dict.get("warning message");
  return {
    interval,
    minInterval: optionalCount(dict, "min interval"),
    complete: optionalCount(dict, "complete"),
    incomplete: optionalCount(dict, "incomplete"),
    peers: peers.filter((peer) => peer.port > 0),
    warning: warning instanceof Uint8Array ? text.decode(warning) : undefined,
  };
}

/**
 * Reads a scrape answer: counts per info hash (hex keys).
 *
 * @throws {TrackerError} with the tracker's `failure reason`, or when the answer is malformed.
 * @example
 * ```ts
 * parseScrapeResponse(body).get(infoHashHex)?.complete;
 * ```
 */
export function parseScrapeResponse(bytes: Uint8Array): Map<string, ScrapeCounts> {
  const files = decodeDict(bytes, "scrape").get("files");
  if (!(files instanceof BencodeDict)) throw new TrackerError("the scrape answer has no files");
  const counts = new Map<string, ScrapeCounts>();
  for (const [key, value] of files) {
    if (key.length !== 20 || !(value instanceof BencodeDict)) continue;
    counts.set(binaryStringToHex(key), {
      complete: optionalCount(value, "complete") ?? 0,
      incomplete: optionalCount(value, "incomplete") ?? 0,
      downloaded: optionalCount(value, "downloaded") ?? 0,
    });
  }
  return counts;
}
