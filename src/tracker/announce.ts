import { encode } from "../bencode/mod.ts";
import { TrackerError } from "./errors.ts";
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  parseCompactPeers,
} from "../transport/address.ts";
import { queryBinaryString, queryText, type RawQuery } from "./query.ts";

/** What a peer tells the tracker with `event` (BEP 3; `paused` is BEP 21's partial seed). */
export type AnnounceEvent = "started" | "completed" | "stopped" | "paused" | "";

const EVENTS: readonly string[] = ["started", "completed", "stopped", "paused", ""];

/** A validated announce request (BEP 3, BEP 23). */
export interface AnnounceRequest {
  /** The 20-byte info hash as a binary string (see `binary_string.ts`). */
  readonly infoHash: string;
  /** The 20-byte peer id as a binary string. */
  readonly peerId: string;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: AnnounceEvent;
  /** BEP 23 compact peers; the default unless `compact=0`. */
  readonly compact: boolean;
  readonly numwant: number;
  readonly key?: string;
  /** The `ip` parameter; used only by a tracker that trusts its proxy. */
  readonly ip?: string;
  /** p2p's own `name` parameter: a person-readable peer name for the tracker's log. */
  readonly name?: string;
}

/** Limits a tracker applies to announce requests. */
export interface AnnounceLimits {
  /** Peers returned when `numwant` is absent (BEP 3 suggests 50). */
  readonly defaultNumwant: number;
  /** Most peers returned whatever `numwant` asks. */
  readonly maxNumwant: number;
}

/** Peers returned by default, as most trackers do. */
export const DEFAULT_NUMWANT = 50;
/** Most peers ever returned: a larger answer only costs bandwidth. */
export const MAX_NUMWANT = 200;

function single(query: RawQuery, name: string): string | undefined {
  const values = query.get(name);
  if (values && values.length > 1) throw new TrackerError(`${name} is given more than once`);
  return values?.[0];
}

function requiredBinary(query: RawQuery, name: string, length: number): string {
  const raw = single(query, name);
  if (raw === undefined) throw new TrackerError(`missing ${name}`);
  const value = queryBinaryString(raw);
  if (value.length !== length) {
    throw new TrackerError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

const DIGITS = /^\d{1,16}$/;
/** A byte count is a 64-bit unsigned integer in every client: at most 20 digits. */
const COUNT_DIGITS = /^\d{1,20}$/;
const UINT64_MAX = 2n ** 64n - 1n;

function integer(query: RawQuery, name: string, required: boolean): number | undefined {
  const value = single(query, name);
  if (value === undefined) {
    if (required) throw new TrackerError(`missing ${name}`);
    return undefined;
  }
  const text = DIGITS.test(value) ? value : queryBinaryString(value);
  if (!DIGITS.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TrackerError(`${name} must be a non-negative integer, got "${text.slice(0, 32)}"`);
  }
  return Number(text);
}

/**
 * A required byte count (`uploaded`, `downloaded`, `left`): any 64-bit
 * unsigned value, held as at most `Number.MAX_SAFE_INTEGER`. Transmission
 * announces `left=9223372036854775807` (2^63 - 1) for a magnet link whose
 * size it does not know yet. Only whether `left` is zero matters here.
 */
function count(query: RawQuery, name: string): number {
  const value = single(query, name);
  if (value === undefined) throw new TrackerError(`missing ${name}`);
  const text = COUNT_DIGITS.test(value) ? value : queryBinaryString(value);
  if (!COUNT_DIGITS.test(text) || BigInt(text) > UINT64_MAX) {
    throw new TrackerError(`${name} must be a non-negative integer, got "${text.slice(0, 32)}"`);
  }
  return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
}

/**
 * Validates an announce's parameters.
 *
 * @throws {TrackerError} naming the first bad parameter.
 * @example
 * ```ts
 * const request = parseAnnounce(parseQuery(url.search.slice(1)), {
 *   defaultNumwant: 50,
 *   maxNumwant: 200,
 * });
 * ```
 */
export function parseAnnounce(query: RawQuery, limits: AnnounceLimits): AnnounceRequest {
  const infoHash = requiredBinary(query, "info_hash", 20);
  const peerId = requiredBinary(query, "peer_id", 20);
  const port = integer(query, "port", true)!;
  if (port < 1 || port > 65535) throw new TrackerError(`port must be 1 to 65535, got ${port}`);
  const rawEvent = single(query, "event");
  const event = rawEvent === undefined ? "" : queryBinaryString(rawEvent);
  if (!EVENTS.includes(event)) throw new TrackerError(`unknown event "${event.slice(0, 32)}"`);
  const compact = single(query, "compact");
  const numwant = integer(query, "numwant", false) ?? limits.defaultNumwant;
  const text = (name: string) => {
    const value = single(query, name);
    return value === undefined ? undefined : queryText(value);
  };
  return {
    infoHash,
    peerId,
    port,
    uploaded: count(query, "uploaded"),
    downloaded: count(query, "downloaded"),
    left: count(query, "left"),
    event: event as AnnounceEvent,
    compact: compact !== "0",
    numwant: Math.min(numwant, limits.maxNumwant),
    key: text("key"),
    ip: text("ip"),
    name: text("name")?.slice(0, 64),
  };
}

/** What a tracker answers to an announce. */
export interface AnnounceAnswer {
  /** Seconds until the peer should announce again. */
  readonly interval: number;
  readonly minInterval: number;
  /** Seeders in the swarm. */
  readonly complete: number;
  /** Leechers in the swarm. */
  readonly incomplete: number;
  /** The chosen IPv4 peers, compact (BEP 23): 6 bytes each. */
  readonly peers: Uint8Array;
  /** The chosen IPv6 peers, compact (BEP 7): 18 bytes each. */
  readonly peers6: Uint8Array;
}

/**
 * Encodes an announce answer: compact `peers` and `peers6` strings (BEP 23,
 * BEP 7), or a list of dictionaries of `ip` and `port` when the peer asked
 * for `compact=0` (without `peer id`: the tracker does not keep peer ids).
 *
 * The compact answer is the tracker's hot path, so it is framed here
 * directly: its keys are fixed ASCII, its values two counts, two intervals
 * and the two byte strings the registry wrote. A test checks it byte for
 * byte against the npm encoder, which encodes the dictionary form.
 *
 * @example
 * ```ts
 * const body = encodeAnnounceAnswer(answer, request);
 * ```
 */
export function encodeAnnounceAnswer(
  answer: AnnounceAnswer,
  style: { compact: boolean },
): Uint8Array {
  if (!style.compact) {
    return encode({
      complete: answer.complete,
      incomplete: answer.incomplete,
      interval: answer.interval,
      "min interval": answer.minInterval,
      peers: [
        ...parseCompactPeers(answer.peers, COMPACT_IPV4_LENGTH)!,
        ...parseCompactPeers(answer.peers6, COMPACT_IPV6_LENGTH)!,
      ].map(({ ip, port }) => ({ ip, port })),
    });
  }
  const { peers, peers6 } = answer;
  const head = `d8:completei${answer.complete}e10:incompletei${answer.incomplete}e` +
    `8:intervali${answer.interval}e12:min intervali${answer.minInterval}e5:peers${peers.length}:`;
  const v6Head = peers6.length > 0 ? `6:peers6${peers6.length}:` : "";
  const out = new Uint8Array(head.length + peers.length + v6Head.length + peers6.length + 1);
  let offset = writeAscii(out, 0, head);
  out.set(peers, offset);
  offset = writeAscii(out, offset + peers.length, v6Head);
  out.set(peers6, offset);
  out[offset + peers6.length] = 0x65; // 'e'
  return out;
}

function writeAscii(out: Uint8Array, offset: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}

/**
 * The bencoded failure answer every tracker error becomes.
 *
 * @example
 * ```ts
 * encodeFailure("unknown torrent");
 * ```
 */
export function encodeFailure(reason: string): Uint8Array {
  return encode({ "failure reason": reason });
}
