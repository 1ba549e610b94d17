import type { InfoHash } from "../metainfo/mod.ts";
import { type Clock, type Handshaken, systemClock } from "../session/mod.ts";
import {
  acceptMse,
  closeQuietly,
  type Endpoint,
  formatEndpoint,
  type InfoHashLookup,
  initiateMse,
  type PeerStream,
  writeAll,
} from "../transport/mod.ts";
import {
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  parseHandshake,
  PROTOCOL,
  WireError,
} from "../wire/mod.ts";
import {
  acceptedMethods,
  DEFAULT_ENCRYPTION,
  type EncryptionPolicy,
  type Opening,
  type OpeningMemory,
  openingsFor,
  providedMethods,
} from "./encryption.ts";
import type { Dialer } from "./transport_choice.ts";

/** Longest a connect may take. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Longest a peer may take to send its handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** A handshake read from a stream, with any bytes that came after it. */
export interface ReceivedHandshake {
  readonly handshake: Handshake;
  readonly leftover: Uint8Array;
}

/**
 * Reads the peer's 68-byte handshake, keeping whatever follows it (often the
 * bitfield, in the same segment). A peer that takes longer than `timeoutMs`
 * has its stream closed.
 *
 * @throws {WireError} on timeout, early close, or a foreign protocol.
 * @example
 * ```ts
 * const { handshake, leftover } = await readHandshake(stream);
 * ```
 */
export async function readHandshake(
  stream: PeerStream,
  clock: Clock = systemClock,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
  alreadyRead: Uint8Array = new Uint8Array(0),
): Promise<ReceivedHandshake> {
  const bytes = await readAtLeast(stream, HANDSHAKE_LENGTH, clock, timeoutMs, alreadyRead);
  if (!bytes) throw new WireError("no handshake (connection closed or timed out)");
  const handshake = parseHandshake(bytes.subarray(0, HANDSHAKE_LENGTH));
  return { handshake, leftover: bytes.slice(HANDSHAKE_LENGTH) };
}

/**
 * Reads until at least `count` bytes (after `alreadyRead`) are in, or null
 * when the stream ends or `timeoutMs` passes first (the stream is closed then).
 */
async function readAtLeast(
  stream: PeerStream,
  count: number,
  clock: Clock,
  timeoutMs: number,
  alreadyRead: Uint8Array,
): Promise<Uint8Array | null> {
  const buffer = new Uint8Array(Math.max(count, alreadyRead.length) + 16 * 1024);
  buffer.set(alreadyRead);
  let filled = alreadyRead.length;
  const timer = clock.after(timeoutMs, () => closeQuietly(stream));
  try {
    while (filled < count) {
      const read = await stream.read(buffer.subarray(filled)).catch(() => null);
      if (read === null) return null;
      filled += read;
    }
  } finally {
    timer.cancel();
  }
  return buffer.subarray(0, filled);
}

/** The first bytes of a plaintext handshake: the length byte and the protocol name. */
const PLAINTEXT_START = new Uint8Array([PROTOCOL.length, ...new TextEncoder().encode(PROTOCOL)]);

/** How incoming connections are taken. */
export interface AcceptOptions {
  readonly encryption: EncryptionPolicy;
  /** The torrents served, by which an encrypted peer proves what it wants. */
  readonly torrents: InfoHashLookup;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

/**
 * Reads an incoming peer's handshake, plaintext or encrypted (MSE): the
 * first 20 bytes tell them apart (a plaintext handshake starts with 19 and
 * "BitTorrent protocol"; an encrypted one with a random key). The returned
 * stream is the one to speak BitTorrent over.
 *
 * @throws {WireError} or {@link TransportError}, the stream closed, when the
 * peer's handshake is malformed, for a torrent it cannot prove, or of a kind
 * the policy refuses.
 * @example
 * ```ts
 * const { stream: peer, handshake } = await acceptPeer(stream, { encryption: "prefer", torrents, clock, timeoutMs });
 * ```
 */
export async function acceptPeer(stream: PeerStream, options: AcceptOptions): Promise<Handshaken> {
  const { clock, timeoutMs, encryption } = options;
  try {
    const first = await readAtLeast(
      stream,
      PLAINTEXT_START.length,
      clock,
      timeoutMs,
      new Uint8Array(0),
    );
    if (!first) throw new WireError("no handshake (connection closed or timed out)");
    const plaintext = PLAINTEXT_START.every((byte, index) => first[index] === byte);
    if (plaintext) {
      if (encryption === "require") {
        throw new WireError("a plaintext handshake, and encryption is required");
      }
      return { stream, ...(await readHandshake(stream, clock, timeoutMs, first)) };
    }
    if (encryption === "off") throw new WireError("not a BitTorrent handshake (encryption is off)");
    const accepted = await acceptMse(stream, {
      firstBytes: first,
      torrents: options.torrents,
      accept: acceptedMethods(encryption),
      clock,
      timeoutMs,
    });
    const received = await readHandshake(accepted.stream, clock, timeoutMs);
    if (!received.handshake.infoHash.equals(accepted.infoHash)) {
      throw new WireError("its handshake names another torrent than its encryption proved");
    }
    return { stream: accepted.stream, ...received, encrypted: accepted.method === "rc4" };
  } catch (error) {
    closeQuietly(stream);
    throw error;
  }
}

/** How a peer is dialled. */
export interface DialOptions {
  readonly encryption?: EncryptionPolicy;
  /** Which opening worked with each peer before: tried first. */
  readonly memory?: OpeningMemory;
  readonly clock?: Clock;
  /** Set the DHT bit in our handshake (BEP 5): we run a DHT node. */
  readonly dht?: boolean;
}

/**
 * Opens a stream to a peer and exchanges handshakes for `infoHash`, with
 * the encrypted handshake (MSE, our BitTorrent handshake as its initial
 * payload) or the plain one as the policy says. When the first opening
 * fails after connecting (the peer closed on it), the policy's other one
 * is tried on a new connection, and whichever worked is remembered.
 *
 * @throws {WireError} or {@link TransportError} when it cannot.
 * @example
 * ```ts
 * const connected = await dialPeer(tcpTransport, { ip: "127.0.0.1", port: 6881 }, infoHash, peerId);
 * ```
 */
export async function dialPeer(
  transport: Dialer,
  endpoint: Endpoint,
  infoHash: InfoHash,
  peerId: Uint8Array,
  options: DialOptions = {},
): Promise<Handshaken> {
  const encryption = options.encryption ?? DEFAULT_ENCRYPTION;
  const address = formatEndpoint(endpoint);
  const openings = openingsFor(encryption, options.memory?.get(address));
  let failure: unknown;
  for (const opening of openings) {
    // Refused or unreachable: another opening would not reach it either.
    const stream = await transport.dial(endpoint, CONNECT_TIMEOUT_MS);
    try {
      const connected = await open(stream, opening, infoHash, peerId, encryption, options);
      options.memory?.remember(address, opening);
      return connected;
    } catch (error) {
      closeQuietly(stream);
      failure = error;
    }
  }
  throw failure;
}

/** Exchanges handshakes on a fresh connection with one opening. */
async function open(
  raw: PeerStream,
  opening: Opening,
  infoHash: InfoHash,
  peerId: Uint8Array,
  encryption: EncryptionPolicy,
  options: DialOptions,
): Promise<Handshaken> {
  const clock = options.clock ?? systemClock;
  const handshake = encodeHandshake(infoHash, peerId, { dht: options.dht });
  let stream = raw;
  let encrypted = false;
  if (opening === "encrypted") {
    const initiated = await initiateMse(raw, {
      infoHash,
      provide: providedMethods(encryption),
      initialPayload: handshake,
      clock,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
    stream = initiated.stream;
    encrypted = initiated.method === "rc4";
  } else {
    await writeAll(stream, handshake);
  }
  const received = await readHandshake(stream, clock);
  if (!received.handshake.infoHash.equals(infoHash)) {
    throw new WireError("handshake for another torrent");
  }
  return { stream, ...received, encrypted };
}
