import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { InfoHash } from "../metainfo/mod.ts";
import { MAX_DATAGRAM } from "../transport/mod.ts";
import type { AnnounceParameters, AnnounceResponse } from "./client_protocol.ts";
import { TrackerError } from "./errors.ts";
import type { ScrapeCounts } from "./scrape.ts";
import {
  decodeAnnounceResponse,
  decodeConnectResponse,
  decodeScrapeResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  MAX_UDP_SCRAPE_HASHES,
  type UdpFamily,
} from "./udp_protocol.ts";

/**
 * How long each attempt of one UDP request waits for its answer before the
 * datagram is sent again: 1 s, 2 s, 4 s, then the tracker counts as
 * unreachable (7 s in all) and the next one of its tier is tried. BEP 15's
 * 15 s doubling to an hour is for daemons; a person at a terminal, and a
 * torrent whose first tier holds a dead UDP tracker, would wait minutes.
 */
export const UDP_ATTEMPT_TIMEOUTS_MS: readonly number[] = [1_000, 2_000, 4_000];
/** BEP 15: a client may use a connection id for one minute after it was received. */
const CONNECTION_ID_LIFETIME_MS = 60_000;

/** Connection ids by tracker address, with when they were received. */
const connectionIds = new Map<string, { id: bigint; at: number }>();

/** A `udp://host:port/...` announce URL taken apart. */
interface UdpTracker {
  readonly host: string;
  readonly port: number;
  readonly family: UdpFamily;
  /** BEP 41: the URL's path and query, sent along with the announce. */
  readonly urlData: string;
  readonly key: string;
}

function parseUdpUrl(url: string): UdpTracker {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TrackerError(`tracker ${url} is not a URL`);
  }
  const port = Number(parsed.port);
  if (parsed.protocol !== "udp:" || !parsed.hostname || !(port >= 1 && port <= 65535)) {
    throw new TrackerError(`tracker ${url} is not a udp://host:port URL`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host,
    port,
    family: isIPv6(host) ? "ipv6" : "ipv4",
    urlData: `${parsed.pathname}${parsed.search}`,
    key: `${host}:${port}`,
  };
}

/**
 * One socket for one request to one tracker: sends a datagram and waits for
 * an answer that `accept` takes (other datagrams, late answers to earlier
 * attempts included, are ignored), sending again on each timeout.
 */
class UdpExchange {
  readonly #socket: dgram.Socket;
  readonly #tracker: UdpTracker;
  #waiting: ((datagram: Uint8Array) => void) | undefined;
  #failed: ((error: Error) => void) | undefined;

  constructor(tracker: UdpTracker) {
    this.#tracker = tracker;
    this.#socket = dgram.createSocket(tracker.family === "ipv6" ? "udp6" : "udp4");
    this.#socket.on("message", (message: Uint8Array) => {
      // An answer is 1,220 bytes at most (200 IPv4 peers); nothing longer than a datagram is kept.
      if (message.length <= MAX_DATAGRAM) this.#waiting?.(new Uint8Array(message));
    });
    this.#socket.on("error", (error: Error) => this.#failed?.(error));
  }

  /**
   * Sends `datagram` until `read` returns an answer for it, each attempt
   * waiting the next of {@link UDP_ATTEMPT_TIMEOUTS_MS}.
   *
   * @throws {TrackerError} when no attempt got an answer, or the answer says why not.
   */
  async ask<T>(
    datagram: () => Uint8Array,
    read: (answer: Uint8Array) => T | undefined,
  ): Promise<T> {
    for (const timeoutMs of UDP_ATTEMPT_TIMEOUTS_MS) {
      const answer = await new Promise<T | undefined>((resolve, reject) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        const done = () => {
          clearTimeout(timer);
          this.#waiting = this.#failed = undefined;
        };
        this.#waiting = (bytes) => {
          try {
            const value = read(bytes);
            if (value === undefined) return;
            done();
            resolve(value);
          } catch (error) {
            done();
            reject(error);
          }
        };
        this.#failed = (error) => {
          done();
          reject(new TrackerError(`unreachable: ${error.message}`));
        };
        this.#socket.send(datagram(), this.#tracker.port, this.#tracker.host, (error) => {
          if (error) this.#failed?.(error);
        });
      });
      if (answer !== undefined) return answer;
    }
    const seconds = UDP_ATTEMPT_TIMEOUTS_MS.reduce((sum, ms) => sum + ms, 0) / 1000;
    throw new TrackerError(
      `unreachable: no answer in ${seconds} s (${UDP_ATTEMPT_TIMEOUTS_MS.length} attempts)`,
    );
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // closed already
    }
  }
}

/** A random 32-bit transaction id. */
function transactionId(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * Reads `answer` as the answer to transaction `id` with `decode`, or
 * undefined when it belongs to another transaction (a late answer to an
 * earlier attempt, or stray traffic).
 */
function answerTo<T>(answer: Uint8Array, id: number, decode: () => T): T | undefined {
  if (answer.length < 8) return undefined;
  const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
  if (view.getUint32(4) !== id) return undefined;
  return decode();
}

/** A fresh or cached connection id for the tracker (BEP 15's connect). */
async function connectionIdFor(exchange: UdpExchange, tracker: UdpTracker): Promise<bigint> {
  const cached = connectionIds.get(tracker.key);
  if (cached && performance.now() - cached.at < CONNECTION_ID_LIFETIME_MS) return cached.id;
  let id = transactionId();
  const connectionId = await exchange.ask(
    () => encodeConnectRequest(id = transactionId()),
    (answer) => answerTo(answer, id, () => decodeConnectResponse(answer, id)),
  );
  connectionIds.set(tracker.key, { id: connectionId, at: performance.now() });
  return connectionId;
}

/** Runs `work` on a new exchange with the tracker at `url`, naming the tracker in any failure. */
async function withTracker<T>(
  url: string,
  work: (exchange: UdpExchange, tracker: UdpTracker) => Promise<T>,
): Promise<T> {
  const tracker = parseUdpUrl(url);
  const exchange = new UdpExchange(tracker);
  try {
    return await work(exchange, tracker);
  } catch (error) {
    if (!(error instanceof TrackerError)) throw error;
    // An id the tracker may have forgotten is not used again.
    connectionIds.delete(tracker.key);
    throw new TrackerError(`tracker ${url}: ${error.message}`);
  } finally {
    exchange.close();
  }
}

/** A client's key as BEP 15's 32-bit number: our HTTP key is 8 hex digits. */
function numericKey(key: string | undefined): number {
  const value = key ? Number.parseInt(key.slice(0, 8), 16) : 0;
  return Number.isFinite(value) ? value >>> 0 : 0;
}

/**
 * Announces to a `udp://` tracker (BEP 15): connect (the id is reused for a
 * minute), then announce, each sent again on the schedule of
 * {@link UDP_ATTEMPT_TIMEOUTS_MS}.
 *
 * @throws {TrackerError} when it does not answer in time, or answers an error.
 * @example
 * ```ts
 * const { peers, interval } = await udpAnnounce("udp://127.0.0.1:6969/announce", parameters);
 * ```
 */
export function udpAnnounce(
  url: string,
  parameters: AnnounceParameters,
): Promise<AnnounceResponse> {
  return withTracker(url, async (exchange, tracker) => {
    const connectionId = await connectionIdFor(exchange, tracker);
    let id = transactionId();
    const answer = await exchange.ask(
      () =>
        encodeAnnounceRequest({
          connectionId,
          transactionId: id = transactionId(),
          infoHash: parameters.infoHash.bytes,
          peerId: parameters.peerId,
          downloaded: parameters.downloaded,
          left: parameters.left,
          uploaded: parameters.uploaded,
          event: parameters.event === "paused" ? "" : parameters.event ?? "",
          key: numericKey(parameters.key),
          numWant: parameters.numwant ?? -1,
          port: parameters.port,
          urlData: tracker.urlData === "/" ? undefined : tracker.urlData,
        }),
      (bytes) => answerTo(bytes, id, () => decodeAnnounceResponse(bytes, id, tracker.family)),
    );
    return {
      interval: answer.interval,
      complete: answer.seeders,
      incomplete: answer.leechers,
      peers: [...answer.peers],
    };
  });
}

/**
 * Scrapes a `udp://` tracker (BEP 15) for up to 74 torrents at a time.
 *
 * @throws {TrackerError} when it does not answer in time, or answers an error.
 * @example
 * ```ts
 * (await udpScrape("udp://127.0.0.1:6969/announce", [infoHash])).get(infoHash.hex);
 * ```
 */
export function udpScrape(
  url: string,
  infoHashes: readonly InfoHash[],
): Promise<Map<string, ScrapeCounts>> {
  if (infoHashes.length > MAX_UDP_SCRAPE_HASHES) {
    throw new TrackerError(`a UDP scrape asks for at most ${MAX_UDP_SCRAPE_HASHES} torrents`);
  }
  return withTracker(url, async (exchange, tracker) => {
    const connectionId = await connectionIdFor(exchange, tracker);
    let id = transactionId();
    const counts = await exchange.ask(
      () =>
        encodeScrapeRequest({
          connectionId,
          transactionId: id = transactionId(),
          infoHashes: infoHashes.map((hash) => hash.bytes),
        }),
      (bytes) => answerTo(bytes, id, () => decodeScrapeResponse(bytes, id, infoHashes.length)),
    );
    return new Map(infoHashes.map((hash, index) => [hash.hex, counts[index]]));
  });
}
