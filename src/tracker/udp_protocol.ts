/**
 * BEP 15, the UDP tracker protocol, as pure codecs: every packet both ways
 * (the tracker decodes requests and encodes answers; a client encodes
 * requests and decodes answers), with BEP 41's announce options. No
 * sockets, no clock: connection ids are made and checked elsewhere.
 *
 * Decoding is strict. Requests: a connect request is exactly 16 bytes with
 * the protocol's magic id; an announce is 98 bytes followed only by
 * well-formed BEP 41 options (libtorrent and uTorrent send the URL's path
 * as one); a scrape is 16 bytes and 1 to {@link MAX_UDP_SCRAPE_HASHES}
 * whole info hashes. Answers: the action and the transaction id must be the
 * ones asked for, the length must be whole entries, and an error answer
 * becomes a {@link TrackerError} with the tracker's message.
 *
 * @module
 */
import { TrackerError } from "./errors.ts";
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  ipv4Number,
  parseCompactPeers,
  type PeerAddress,
} from "../transport/address.ts";
import type { ScrapeCounts } from "./scrape.ts";

/** The connection id of every connect request: BEP 15's magic, which says "this is BEP 15". */
export const UDP_PROTOCOL_ID = 0x41727101980n;

/** The `action` of each packet (the same number in a request and in its answer). */
export const UdpAction = { connect: 0, announce: 1, scrape: 2, error: 3 } as const;
/** One of {@link UdpAction}'s numbers. */
export type UdpAction = (typeof UdpAction)[keyof typeof UdpAction];

/** What a peer tells the tracker in an announce (BEP 15 numbers them 0 to 3). */
export type UdpEvent = "" | "completed" | "started" | "stopped";
const EVENTS: readonly UdpEvent[] = ["", "completed", "started", "stopped"];

/** Which address family a datagram came over: it decides the size of the answer's peers. */
export type UdpFamily = "ipv4" | "ipv6";

/** Bytes of a connect request and of its answer. */
export const CONNECT_LENGTH = 16;
/** Bytes of an announce request before its BEP 41 options. */
export const ANNOUNCE_REQUEST_LENGTH = 98;
/** Bytes of an announce answer before its peers. */
export const ANNOUNCE_RESPONSE_HEADER = 20;
/** Bytes every request begins with: connection id, action, transaction id. */
const REQUEST_HEADER_LENGTH = 16;
/** Bytes of the header of every answer: action and transaction id. */
const RESPONSE_HEADER_LENGTH = 8;
/**
 * Most info hashes in one scrape: BEP 15's "up to about 74", what fits one
 * 1,500-byte packet. The answer (12 bytes a hash) is smaller than the request.
 */
export const MAX_UDP_SCRAPE_HASHES = 74;
/** Bytes of one torrent's figures in a scrape answer: seeders, completed, leechers. */
const SCRAPE_ENTRY_LENGTH = 12;
const HASH_LENGTH = 20;

/** BEP 41 option types: the two without a length byte, and the URL's path and query. */
const OPTION_END = 0x0;
const OPTION_NOP = 0x1;
const OPTION_URL_DATA = 0x2;
/** One URLData option carries at most this much; longer data is split across several. */
const URL_DATA_CHUNK = 255;

/** The first 16 bytes of every request. */
export interface UdpRequestHeader {
  /** The connection id, or {@link UDP_PROTOCOL_ID} in a connect request. */
  readonly connectionId: bigint;
  /** The action as sent: one of {@link UdpAction} in a valid request. */
  readonly action: number;
  readonly transactionId: number;
}

/** A connect request. */
export interface UdpConnectRequest {
  readonly transactionId: number;
}

/** An announce request (BEP 15, with BEP 41's URLData). */
export interface UdpAnnounceRequest {
  readonly connectionId: bigint;
  readonly transactionId: number;
  /** 20 bytes: a view of the datagram, as `peerId` is (copy them to keep them). */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  /** Byte counts: 64-bit on the wire, held as at most `Number.MAX_SAFE_INTEGER`. */
  readonly downloaded: number;
  readonly left: number;
  readonly uploaded: number;
  readonly event: UdpEvent;
  /** The `IP address` field as dotted IPv4 text; absent when 0 (the datagram's source). */
  readonly ip?: string;
  readonly key: number;
  /** Peers wanted; negative (BEP 15's -1) leaves it to the tracker. */
  readonly numWant: number;
  readonly port: number;
  /** The path and query of the tracker's URL (BEP 41), one character per byte. */
  readonly urlData?: string;
}

/** A scrape request. */
export interface UdpScrapeRequest {
  readonly connectionId: bigint;
  readonly transactionId: number;
  /** 20 bytes each, 1 to {@link MAX_UDP_SCRAPE_HASHES}. */
  readonly infoHashes: readonly Uint8Array[];
}

/** What the tracker answers to an announce, as the tracker builds it. */
export interface UdpAnnounceAnswer {
  readonly transactionId: number;
  /** Seconds until the peer should announce again. */
  readonly interval: number;
  readonly leechers: number;
  readonly seeders: number;
  /**
   * The peers of the answer's family in compact form, one after another (6
   * bytes each over IPv4, 18 over IPv6), as the swarm registry writes them.
   */
  readonly peers: Uint8Array;
}

/** An announce answer as a client reads it. */
export interface UdpAnnounceResponse {
  readonly transactionId: number;
  readonly interval: number;
  readonly leechers: number;
  readonly seeders: number;
  readonly peers: readonly PeerAddress[];
}

/** An error answer. */
export interface UdpErrorResponse {
  readonly transactionId: number;
  readonly message: string;
}

/**
 * A copy of `bytes[start, end)` as a plain Uint8Array: a decoded value must
 * not alias the datagram, and a Node Buffer's `slice` would (it is `subarray`).
 */
function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A 64-bit byte count as a number: exact to 2^53 - 1, held there beyond (only `left` = 0 matters). */
function readCount(view: DataView, offset: number): number {
  const value = view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4);
  return Math.min(value, Number.MAX_SAFE_INTEGER);
}

function writeCount(view: DataView, offset: number, value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
  view.setUint32(offset, Math.floor(value / 2 ** 32));
  view.setUint32(offset + 4, value % 2 ** 32);
}

/** Checks a value for a field of `bits` unsigned bits: DataView would wrap it silently. */
function unsigned(value: number, bits: 16 | 32, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${name} must be a ${bits}-bit unsigned integer, got ${value}`);
  }
  return value;
}

function signed32(value: number, name: string): number {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new RangeError(`${name} must be a 32-bit signed integer, got ${value}`);
  }
  return value;
}

function hash(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length !== HASH_LENGTH) {
    throw new RangeError(`${name} must be ${HASH_LENGTH} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function requestHead(
  length: number,
  connectionId: bigint,
  action: UdpAction,
  transactionId: number,
) {
  const bytes = new Uint8Array(length);
  const view = viewOf(bytes);
  view.setBigUint64(0, connectionId);
  view.setUint32(8, action);
  view.setUint32(12, unsigned(transactionId, 32, "transactionId"));
  return { bytes, view };
}

function responseHead(
  length: number,
  action: UdpAction,
  transactionId: number,
  into?: Uint8Array,
) {
  const bytes = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  const view = viewOf(bytes);
  view.setUint32(0, action);
  view.setUint32(4, unsigned(transactionId, 32, "transactionId"));
  return { bytes, view };
}

/**
 * The header every request begins with, or null if the datagram is too
 * short to be any request (the tracker drops it unanswered).
 *
 * @example
 * ```ts
 * const header = readUdpRequestHeader(encodeConnectRequest(7));
 * header?.connectionId === UDP_PROTOCOL_ID; // true
 * ```
 */
export function readUdpRequestHeader(datagram: Uint8Array): UdpRequestHeader | null {
  if (datagram.length < REQUEST_HEADER_LENGTH) return null;
  const view = viewOf(datagram);
  return {
    connectionId: view.getBigUint64(0),
    action: view.getUint32(8),
    transactionId: view.getUint32(12),
  };
}

/**
 * A connect request: the magic id, action 0, the client's transaction id.
 *
 * @example
 * ```ts
 * encodeConnectRequest(0x12345678).length; // 16
 * ```
 */
export function encodeConnectRequest(transactionId: number): Uint8Array {
  return requestHead(CONNECT_LENGTH, UDP_PROTOCOL_ID, UdpAction.connect, transactionId).bytes;
}

/**
 * Reads a connect request.
 *
 * @throws {TrackerError} unless it is exactly 16 bytes with the magic id and action 0.
 * @example
 * ```ts
 * decodeConnectRequest(encodeConnectRequest(7)).transactionId; // 7
 * ```
 */
export function decodeConnectRequest(datagram: Uint8Array): UdpConnectRequest {
  const header = readUdpRequestHeader(datagram);
  if (!header || datagram.length !== CONNECT_LENGTH) {
    throw new TrackerError(`a connect request is ${CONNECT_LENGTH} bytes, got ${datagram.length}`);
  }
  if (header.connectionId !== UDP_PROTOCOL_ID) {
    throw new TrackerError("a connect request must carry the protocol id 0x41727101980");
  }
  if (header.action !== UdpAction.connect) {
    throw new TrackerError(`a connect request has action 0, got ${header.action}`);
  }
  return { transactionId: header.transactionId };
}

/**
 * The tracker's answer to a connect: the transaction id echoed and a connection id.
 *
 * @example
 * ```ts
 * encodeConnectResponse(7, 0x0102030405060708n).length; // 16
 * ```
 */
export function encodeConnectResponse(transactionId: number, connectionId: bigint): Uint8Array {
  const { bytes, view } = responseHead(CONNECT_LENGTH, UdpAction.connect, transactionId);
  view.setBigUint64(8, connectionId);
  return bytes;
}

/**
 * The connection id in the answer to the connect request of `transactionId`.
 *
 * @throws {TrackerError} with the tracker's message if it answered an error;
 *   when the answer is not a 16-byte connect answer to this transaction.
 * @example
 * ```ts
 * decodeConnectResponse(encodeConnectResponse(7, 42n), 7); // 42n
 * ```
 */
export function decodeConnectResponse(datagram: Uint8Array, transactionId: number): bigint {
  const view = expectResponse(datagram, UdpAction.connect, transactionId);
  if (datagram.length !== CONNECT_LENGTH) {
    throw new TrackerError(`a connect answer is ${CONNECT_LENGTH} bytes, got ${datagram.length}`);
  }
  return view.getBigUint64(8);
}

/**
 * An announce request, with BEP 41 URLData options when `urlData` is given.
 *
 * @example
 * ```ts
 * const bytes = encodeAnnounceRequest({
 *   connectionId, transactionId: 1, infoHash, peerId, downloaded: 0, left: 1000,
 *   uploaded: 0, event: "started", key: 0, numWant: -1, port: 6881,
 * });
 * bytes.length; // 98
 * ```
 */
export function encodeAnnounceRequest(request: UdpAnnounceRequest): Uint8Array {
  const options = request.urlData === undefined ? [] : urlDataOptions(request.urlData);
  const { bytes, view } = requestHead(
    ANNOUNCE_REQUEST_LENGTH + options.length,
    request.connectionId,
    UdpAction.announce,
    request.transactionId,
  );
  bytes.set(hash(request.infoHash, "infoHash"), 16);
  bytes.set(hash(request.peerId, "peerId"), 36);
  writeCount(view, 56, request.downloaded, "downloaded");
  writeCount(view, 64, request.left, "left");
  writeCount(view, 72, request.uploaded, "uploaded");
  const event = EVENTS.indexOf(request.event);
  if (event < 0) throw new RangeError(`unknown event "${request.event}"`);
  view.setUint32(80, event);
  view.setUint32(84, request.ip === undefined ? 0 : ipFieldOf(request.ip));
  view.setUint32(88, unsigned(request.key, 32, "key"));
  view.setInt32(92, signed32(request.numWant, "numWant"));
  view.setUint16(96, unsigned(request.port, 16, "port"));
  bytes.set(options, ANNOUNCE_REQUEST_LENGTH);
  return bytes;
}

/** URLData options: the data cut into chunks of at most 255 bytes, as BEP 41 says. */
function urlDataOptions(data: string): number[] {
  const out: number[] = [];
  for (let start = 0; start === 0 || start < data.length; start += URL_DATA_CHUNK) {
    const chunk = data.slice(start, start + URL_DATA_CHUNK);
    out.push(OPTION_URL_DATA, chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (code > 0xff) throw new RangeError("urlData must be one character per byte");
      out.push(code);
    }
  }
  return out;
}

/** The announce's `IP address` field for `ip`. */
function ipFieldOf(ip: string): number {
  const address = ipv4Number(ip);
  if (address < 0) throw new RangeError(`ip must be a dotted IPv4 address, got "${ip}"`);
  return address;
}

/**
 * Reads an announce request: 98 bytes, then BEP 41 options (URLData kept,
 * NOPs and unknown options with a length skipped, reading ends at
 * EndOfOptions or the end of the datagram). The info hash and peer id are
 * views of `datagram`, not copies: the tracker turns them into keys at
 * once, and a typed array costs about a microsecond to make in Deno.
 *
 * @throws {TrackerError} when it is shorter than 98 bytes, is not an announce,
 *   names an unknown event, or its options run past the end.
 * @example
 * ```ts
 * const request = decodeAnnounceRequest(datagram);
 * request.event; // "started"
 * ```
 */
export function decodeAnnounceRequest(datagram: Uint8Array): UdpAnnounceRequest {
  const header = readUdpRequestHeader(datagram);
  if (!header || datagram.length < ANNOUNCE_REQUEST_LENGTH) {
    throw new TrackerError(
      `an announce is at least ${ANNOUNCE_REQUEST_LENGTH} bytes, got ${datagram.length}`,
    );
  }
  if (header.action !== UdpAction.announce) {
    throw new TrackerError(`an announce has action 1, got ${header.action}`);
  }
  const view = viewOf(datagram);
  const eventNumber = view.getUint32(80);
  if (eventNumber >= EVENTS.length) throw new TrackerError(`unknown event ${eventNumber}`);
  const ip = view.getUint32(84);
  const urlData = readOptions(datagram.subarray(ANNOUNCE_REQUEST_LENGTH));
  return {
    connectionId: header.connectionId,
    transactionId: header.transactionId,
    infoHash: datagram.subarray(16, 36),
    peerId: datagram.subarray(36, 56),
    downloaded: readCount(view, 56),
    left: readCount(view, 64),
    uploaded: readCount(view, 72),
    event: EVENTS[eventNumber],
    key: view.getUint32(88),
    numWant: view.getInt32(92),
    port: view.getUint16(96),
    ...(ip === 0 ? {} : { ip: datagram.subarray(84, 88).join(".") }),
    ...(urlData === undefined ? {} : { urlData }),
  };
}

/** The URLData of BEP 41 options (chunks joined), undefined if there is none. */
function readOptions(options: Uint8Array): string | undefined {
  let urlData: string | undefined;
  let offset = 0;
  while (offset < options.length) {
    const type = options[offset++];
    if (type === OPTION_END) break;
    if (type === OPTION_NOP) continue;
    if (offset >= options.length) {
      throw new TrackerError(`announce option ${type} has no length byte`);
    }
    const length = options[offset++];
    if (offset + length > options.length) {
      throw new TrackerError(`announce option ${type} runs past the end of the datagram`);
    }
    if (type === OPTION_URL_DATA) {
      urlData = (urlData ?? "") + String.fromCharCode(...options.subarray(offset, offset + length));
    }
    offset += length;
  }
  return urlData;
}

/**
 * The tracker's answer to an announce: interval, leechers, seeders, then
 * the peers of `family` (6 bytes each over IPv4, 18 over IPv6).
 *
 * @param into where to write it when it is large enough (the answer is
 *   then a view of it); else a new array is made.
 * @example
 * ```ts
 * encodeAnnounceResponse(
 *   { transactionId: 1, interval: 1800, leechers: 1, seeders: 0, peers: new Uint8Array(0) },
 *   "ipv4",
 * ).length; // 20
 * ```
 */
export function encodeAnnounceResponse(
  answer: UdpAnnounceAnswer,
  family: UdpFamily,
  into?: Uint8Array,
): Uint8Array {
  const stride = family === "ipv4" ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  if (answer.peers.length % stride !== 0) {
    throw new RangeError(`${answer.peers.length} bytes of peers are no whole ${family} peers`);
  }
  const { bytes, view } = responseHead(
    ANNOUNCE_RESPONSE_HEADER + answer.peers.length,
    UdpAction.announce,
    answer.transactionId,
    into,
  );
  view.setUint32(8, unsigned(answer.interval, 32, "interval"));
  view.setUint32(12, unsigned(answer.leechers, 32, "leechers"));
  view.setUint32(16, unsigned(answer.seeders, 32, "seeders"));
  bytes.set(answer.peers, ANNOUNCE_RESPONSE_HEADER);
  return bytes;
}

/**
 * Reads the answer to the announce of `transactionId`, sent over `family`.
 *
 * @throws {TrackerError} with the tracker's message if it answered an error;
 *   when it is no announce answer to this transaction, or its peers are not
 *   whole entries of the family's size.
 * @example
 * ```ts
 * const { interval, peers } = decodeAnnounceResponse(datagram, transactionId, "ipv4");
 * ```
 */
export function decodeAnnounceResponse(
  datagram: Uint8Array,
  transactionId: number,
  family: UdpFamily,
): UdpAnnounceResponse {
  const view = expectResponse(datagram, UdpAction.announce, transactionId);
  const stride = family === "ipv4" ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  const peers = datagram.length < ANNOUNCE_RESPONSE_HEADER
    ? null
    : parseCompactPeers(datagram.subarray(ANNOUNCE_RESPONSE_HEADER), stride);
  if (!peers) {
    throw new TrackerError(
      `an ${family} announce answer is 20 bytes and ${stride} a peer, got ${datagram.length}`,
    );
  }
  return {
    transactionId,
    interval: view.getUint32(8),
    leechers: view.getUint32(12),
    seeders: view.getUint32(16),
    peers,
  };
}

/**
 * A scrape request for 1 to {@link MAX_UDP_SCRAPE_HASHES} torrents.
 *
 * @example
 * ```ts
 * encodeScrapeRequest({ connectionId, transactionId: 2, infoHashes: [a, b] }).length; // 56
 * ```
 */
export function encodeScrapeRequest(request: UdpScrapeRequest): Uint8Array {
  const count = request.infoHashes.length;
  if (count < 1 || count > MAX_UDP_SCRAPE_HASHES) {
    throw new RangeError(`a scrape names 1 to ${MAX_UDP_SCRAPE_HASHES} torrents, got ${count}`);
  }
  const { bytes } = requestHead(
    REQUEST_HEADER_LENGTH + count * HASH_LENGTH,
    request.connectionId,
    UdpAction.scrape,
    request.transactionId,
  );
  request.infoHashes.forEach((infoHash, i) =>
    bytes.set(hash(infoHash, "infoHash"), REQUEST_HEADER_LENGTH + i * HASH_LENGTH)
  );
  return bytes;
}

/**
 * Reads a scrape request; a hash named twice is answered twice, since the
 * answer's entries follow the request's by position.
 *
 * @throws {TrackerError} unless it is a scrape of 1 to 74 whole info hashes.
 * @example
 * ```ts
 * decodeScrapeRequest(datagram).infoHashes.length; // 2
 * ```
 */
export function decodeScrapeRequest(datagram: Uint8Array): UdpScrapeRequest {
  const header = readUdpRequestHeader(datagram);
  const hashBytes = datagram.length - REQUEST_HEADER_LENGTH;
  if (!header || hashBytes < HASH_LENGTH || hashBytes % HASH_LENGTH !== 0) {
    throw new TrackerError(
      `a scrape is 16 bytes and 20 for each info hash, got ${datagram.length} bytes`,
    );
  }
  if (header.action !== UdpAction.scrape) {
    throw new TrackerError(`a scrape has action 2, got ${header.action}`);
  }
  const count = hashBytes / HASH_LENGTH;
  if (count > MAX_UDP_SCRAPE_HASHES) {
    throw new TrackerError(`scrape of more than ${MAX_UDP_SCRAPE_HASHES} torrents at once`);
  }
  const infoHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const start = REQUEST_HEADER_LENGTH + i * HASH_LENGTH;
    infoHashes.push(copyOf(datagram, start, start + HASH_LENGTH));
  }
  return { connectionId: header.connectionId, transactionId: header.transactionId, infoHashes };
}

/**
 * The tracker's answer to a scrape: seeders, completed and leechers of each
 * torrent, in the request's order.
 *
 * @example
 * ```ts
 * encodeScrapeResponse(2, [{ complete: 1, incomplete: 3, downloaded: 9 }]).length; // 20
 * ```
 */
export function encodeScrapeResponse(
  transactionId: number,
  counts: readonly ScrapeCounts[],
): Uint8Array {
  const { bytes, view } = responseHead(
    RESPONSE_HEADER_LENGTH + counts.length * SCRAPE_ENTRY_LENGTH,
    UdpAction.scrape,
    transactionId,
  );
  counts.forEach(({ complete, downloaded, incomplete }, i) => {
    const offset = RESPONSE_HEADER_LENGTH + i * SCRAPE_ENTRY_LENGTH;
    view.setUint32(offset, unsigned(complete, 32, "complete"));
    view.setUint32(offset + 4, unsigned(downloaded, 32, "downloaded"));
    view.setUint32(offset + 8, unsigned(incomplete, 32, "incomplete"));
  });
  return bytes;
}

/**
 * Reads the answer to the scrape of `transactionId`, which named `hashCount` torrents.
 *
 * @throws {TrackerError} with the tracker's message if it answered an error;
 *   when it is no scrape answer to this transaction, or not one entry per hash.
 * @example
 * ```ts
 * const [first] = decodeScrapeResponse(datagram, 2, 1);
 * first.complete; // seeders
 * ```
 */
export function decodeScrapeResponse(
  datagram: Uint8Array,
  transactionId: number,
  hashCount: number,
): ScrapeCounts[] {
  const view = expectResponse(datagram, UdpAction.scrape, transactionId);
  const expected = RESPONSE_HEADER_LENGTH + hashCount * SCRAPE_ENTRY_LENGTH;
  if (datagram.length !== expected) {
    throw new TrackerError(
      `a scrape answer for ${hashCount} torrents is ${expected} bytes, got ${datagram.length}`,
    );
  }
  const counts: ScrapeCounts[] = [];
  for (let i = 0; i < hashCount; i++) {
    const offset = RESPONSE_HEADER_LENGTH + i * SCRAPE_ENTRY_LENGTH;
    counts.push({
      complete: view.getUint32(offset),
      downloaded: view.getUint32(offset + 4),
      incomplete: view.getUint32(offset + 8),
    });
  }
  return counts;
}

/**
 * An error answer: the transaction id echoed and a message (UTF-8).
 *
 * @example
 * ```ts
 * encodeErrorResponse(1, "unknown torrent");
 * ```
 */
export function encodeErrorResponse(transactionId: number, message: string): Uint8Array {
  const text = new TextEncoder().encode(message);
  const { bytes } = responseHead(
    RESPONSE_HEADER_LENGTH + text.length,
    UdpAction.error,
    transactionId,
  );
  bytes.set(text, RESPONSE_HEADER_LENGTH);
  return bytes;
}

/**
 * Reads an error answer.
 *
 * @throws {TrackerError} when it is shorter than 8 bytes or not an error.
 * @example
 * ```ts
 * decodeErrorResponse(encodeErrorResponse(1, "full")).message; // "full"
 * ```
 */
export function decodeErrorResponse(datagram: Uint8Array): UdpErrorResponse {
  if (datagram.length < RESPONSE_HEADER_LENGTH) {
    throw new TrackerError(`an answer is at least 8 bytes, got ${datagram.length}`);
  }
  const view = viewOf(datagram);
  if (view.getUint32(0) !== UdpAction.error) {
    throw new TrackerError(`an error answer has action 3, got ${view.getUint32(0)}`);
  }
  return {
    transactionId: view.getUint32(4),
    message: new TextDecoder().decode(datagram.subarray(RESPONSE_HEADER_LENGTH)),
  };
}

/**
 * Checks an answer's header: an error to this transaction becomes the
 * tracker's message; anything but `action` for this transaction is refused.
 */
function expectResponse(datagram: Uint8Array, action: UdpAction, transactionId: number): DataView {
  if (datagram.length < RESPONSE_HEADER_LENGTH) {
    throw new TrackerError(`an answer is at least 8 bytes, got ${datagram.length}`);
  }
  const view = viewOf(datagram);
  const [gotAction, gotTransaction] = [view.getUint32(0), view.getUint32(4)];
  if (gotTransaction !== transactionId) {
    throw new TrackerError(
      `the answer is to transaction ${gotTransaction}, not ${transactionId}`,
    );
  }
  if (gotAction === UdpAction.error) {
    throw new TrackerError(`tracker refused: ${decodeErrorResponse(datagram).message}`);
  }
  if (gotAction !== action) {
    throw new TrackerError(`the answer has action ${gotAction}, not ${action}`);
  }
  return view;
}
