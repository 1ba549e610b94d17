import { encode } from "../bencode/mod.ts";
import { TrackerError } from "./errors.ts";
import { concat } from "./bytes.ts";
import type { RawQuery } from "./query.ts";

/** What a peer tells the tracker with `event` (BEP 3; `paused` is BEP 21's partial seed). */
export type AnnounceEvent = "started" | "completed" | "stopped" | "paused" | "";

const EVENTS: readonly string[] = ["started", "completed", "stopped", "paused", ""];

/** A validated announce request (BEP 3, BEP 23). */
export interface AnnounceRequest {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: AnnounceEvent;
  /** BEP 23 compact peers; the default unless `compact=0`. */
  readonly compact: boolean;
  readonly noPeerId: boolean;
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

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: false });

function single(query: RawQuery, name: string): Uint8Array | undefined {
  const values = query.get(name);
  if (values && values.length > 1) throw new TrackerError(`${name} is given more than once`);
  return values?.[0];
}

function requiredBytes(query: RawQuery, name: string, length: number): Uint8Array {
  const value = single(query, name);
  if (value === undefined) throw new TrackerError(`missing ${name}`);
  if (value.length !== length) {
    throw new TrackerError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

function integer(query: RawQuery, name: string, required: boolean): number | undefined {
  const value = single(query, name);
  if (value === undefined) {
    if (required) throw new TrackerError(`missing ${name}`);
    return undefined;
  }
  const text = latin1.decode(value);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TrackerError(`${name} must be a non-negative integer, got "${text.slice(0, 32)}"`);
  }
  return Number(text);
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
  const infoHash = requiredBytes(query, "info_hash", 20);
  const peerId = requiredBytes(query, "peer_id", 20);
  const port = integer(query, "port", true)!;
  if (port < 1 || port > 65535) throw new TrackerError(`port must be 1 to 65535, got ${port}`);
  const eventBytes = single(query, "event");
  const event = eventBytes === undefined ? "" : latin1.decode(eventBytes);
  if (!EVENTS.includes(event)) throw new TrackerError(`unknown event "${event.slice(0, 32)}"`);
  const compactBytes = single(query, "compact");
  const numwant = integer(query, "numwant", false) ?? limits.defaultNumwant;
  const text = (name: string) => {
    const value = single(query, name);
    return value === undefined ? undefined : utf8.decode(value);
  };
  return {
    infoHash,
    peerId,
    port,
    uploaded: integer(query, "uploaded", true)!,
    downloaded: integer(query, "downloaded", true)!,
    left: integer(query, "left", true)!,
    event: event as AnnounceEvent,
    compact: compactBytes === undefined || latin1.decode(compactBytes) !== "0",
    noPeerId: latin1.decode(single(query, "no_peer_id") ?? new Uint8Array()) === "1",
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
  /** The chosen peers' compact forms (6 or 18 bytes) and ids. */
  readonly peers: readonly { compact: Uint8Array; ip: string; port: number; peerId: Uint8Array }[];
}

/**
 * Encodes an announce answer: compact `peers` and `peers6` strings (BEP 23,
 * BEP 7), or a list of dictionaries when the peer asked for `compact=0`.
 *
 * @example
 * ```ts
 * const body = encodeAnnounceAnswer(answer, request);
 * ```
 */
export function encodeAnnounceAnswer(
  answer: AnnounceAnswer,
  style: { compact: boolean; noPeerId: boolean },
): Uint8Array {
  const header = {
    complete: answer.complete,
    incomplete: answer.incomplete,
    interval: answer.interval,
    "min interval": answer.minInterval,
  };
  if (!style.compact) {
    return encode({
      ...header,
      peers: answer.peers.map((peer) => ({
        ip: peer.ip,
        "peer id": style.noPeerId ? undefined : peer.peerId,
        port: peer.port,
      })),
    });
  }
  const v4 = answer.peers.filter((peer) => peer.compact.length === 6);
  const v6 = answer.peers.filter((peer) => peer.compact.length === 18);
  return encode({
    ...header,
    peers: concat(v4.map((peer) => peer.compact)),
    peers6: v6.length > 0 ? concat(v6.map((peer) => peer.compact)) : undefined,
  });
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
