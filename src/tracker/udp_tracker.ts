import { type AnnounceAnswer, type AnnounceRequest, DEFAULT_NUMWANT } from "./announce.ts";
import { bytesToBinaryString } from "./binary_string.ts";
import type { ConnectionIds } from "./connection_ids.ts";
import { TrackerError } from "./errors.ts";
import type { ScrapeCounts } from "./scrape.ts";
import { unmapIpv4 } from "../transport/address.ts";
import {
  ANNOUNCE_RESPONSE_HEADER,
  decodeAnnounceRequest,
  decodeConnectRequest,
  decodeScrapeRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  readUdpRequestHeader,
  UDP_PROTOCOL_ID,
  UdpAction,
  type UdpFamily,
} from "./udp_protocol.ts";

/**
 * Most peers in an answer over IPv4: 20 + 6 × 200 = 1,220 bytes, one
 * unfragmented datagram on any Ethernet path (1,472 bytes of UDP payload),
 * and the HTTP side's own most.
 */
export const UDP_MAX_NUMWANT_IPV4 = 200;
/**
 * Most peers in an answer over IPv6: 20 + 18 × 67 = 1,226 bytes, within
 * the 1,232 bytes of payload IPv6's minimum MTU (1,280) leaves, so the
 * answer is never fragmented on any IPv6 path.
 */
export const UDP_MAX_NUMWANT_IPV6 = 67;
/**
 * The largest datagram the tracker ever sends: an announce answer with the
 * most peers. Only the 16-byte connect answer goes to a source that has not
 * shown a valid connection id.
 */
export const UDP_MAX_ANSWER_BYTES = Math.max(
  ANNOUNCE_RESPONSE_HEADER + 6 * UDP_MAX_NUMWANT_IPV4,
  ANNOUNCE_RESPONSE_HEADER + 18 * UDP_MAX_NUMWANT_IPV6,
);

/** The tracker's rules, the same over HTTP and UDP. */
export interface TrackerRules {
  /**
   * Records an announce from `ip` and picks its answer's peers of `family`.
   *
   * @throws {TrackerError} when the tracker refuses it (closed, full, a bad address).
   */
  announce(request: AnnounceRequest, ip: string, family: UdpFamily): AnnounceAnswer;
  /** Torrents' counts, in order; the info hashes are binary strings. */
  scrape(infoHashes: string[]): ScrapeCounts[];
}

/** What a {@link udpResponder} answers with. */
export interface UdpResponderOptions {
  readonly rules: TrackerRules;
  readonly connectionIds: ConnectionIds;
  /**
   * Take an IPv4 announce's `IP address` field, when not 0, as the peer's
   * address: what `--trust-proxy` does with HTTP's `ip=`. The answer still
   * goes to the datagram's source.
   */
  readonly trustProxy: boolean;
  /** Told of errors that are the tracker's own fault; the asker gets "internal tracker error". */
  readonly onInternalError: (error: unknown) => void;
}

/** The answer to one request of a source that showed a valid connection id. */
type ActionHandler = (datagram: Uint8Array, address: string, family: UdpFamily) => Uint8Array;

/**
 * Answers one datagram from `address`:`port`; null means no answer at all.
 * An answer may be a view of a buffer the next call reuses: send it before.
 */
export type UdpResponder = (
  datagram: Uint8Array,
  address: string,
  port: number,
) => Uint8Array | null;

/**
 * The tracker's side of BEP 15, without sockets: a datagram and its source
 * in, the answer out.
 *
 * A source that has not shown a valid connection id gets nothing but the
 * 16-byte answer to a well-formed 16-byte connect request: everything else
 * it sends is dropped unanswered, so a spoofed source address earns its
 * victim no more bytes than the spoofer sent. A source with a valid id gets
 * announce and scrape answers of at most {@link UDP_MAX_ANSWER_BYTES}, and an
 * error answer for anything wrong with its request.
 *
 * @example
 * ```ts
 * const respond = udpResponder({ rules, connectionIds, trustProxy: false, onInternalError });
 * const answer = respond(datagram, "127.0.0.1", 6881);
 * if (answer) socket.send(answer, 6881, "127.0.0.1");
 * ```
 */
export function udpResponder(options: UdpResponderOptions): UdpResponder {
  const { rules, connectionIds } = options;
  // Announce answers are written here, one at a time (see UdpResponder).
  const answerBuffer = new Uint8Array(UDP_MAX_ANSWER_BYTES);

  function announce(datagram: Uint8Array, address: string, family: UdpFamily): Uint8Array {
    const request = decodeAnnounceRequest(datagram);
    if (request.port === 0) throw new TrackerError("port must be 1 to 65535, got 0");
    const most = family === "ipv4" ? UDP_MAX_NUMWANT_IPV4 : UDP_MAX_NUMWANT_IPV6;
    const numwant = request.numWant < 0 ? DEFAULT_NUMWANT : request.numWant;
    // BEP 15: the field is 32 bits wide, so it is unusable over IPv6.
    const ip = options.trustProxy && family === "ipv4" && request.ip ? request.ip : address;
    const answer = rules.announce(
      {
        infoHash: bytesToBinaryString(request.infoHash),
        peerId: bytesToBinaryString(request.peerId),
        port: request.port,
        uploaded: request.uploaded,
        downloaded: request.downloaded,
        left: request.left,
        event: request.event,
        compact: true,
        numwant: Math.min(numwant, most),
      },
      ip,
      family,
    );
    return encodeAnnounceResponse(
      {
        transactionId: request.transactionId,
        interval: answer.interval,
        leechers: answer.incomplete,
        seeders: answer.complete,
        peers: family === "ipv4" ? answer.peers : answer.peers6,
      },
      family,
      answerBuffer,
    );
  }

  function scrape(datagram: Uint8Array): Uint8Array {
    const request = decodeScrapeRequest(datagram);
    return encodeScrapeResponse(
      request.transactionId,
      rules.scrape(request.infoHashes.map(bytesToBinaryString)),
    );
  }

  // What a source with a valid connection id may ask, by action.
  const actions = new Map<number, ActionHandler>([
    [UdpAction.announce, announce],
    [UdpAction.scrape, scrape],
  ]);

  return (datagram, source, port) => {
    const header = readUdpRequestHeader(datagram);
    if (!header) return null;
    const address = unmapIpv4(source);
    if (header.connectionId === UDP_PROTOCOL_ID) {
      try {
        decodeConnectRequest(datagram);
      } catch {
        return null;
      }
      return encodeConnectResponse(header.transactionId, connectionIds.issue(address, port));
    }
    if (!connectionIds.isValid(header.connectionId, address, port)) return null;
    const family: UdpFamily = address.includes(":") ? "ipv6" : "ipv4";
    try {
      const handle = actions.get(header.action);
      if (!handle) throw new TrackerError(`unknown action ${header.action}`);
      return handle(datagram, address, family);
    } catch (error) {
      if (error instanceof TrackerError) {
        return encodeErrorResponse(header.transactionId, error.message);
      }
      options.onInternalError(error);
      return encodeErrorResponse(header.transactionId, "internal tracker error");
    }
  };
}
