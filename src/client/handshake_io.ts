import type { InfoHash } from "../metainfo/mod.ts";
import { type Clock, type Handshaken, systemClock } from "../session/mod.ts";
import {
  closeQuietly,
  type Endpoint,
  type PeerStream,
  type Transport,
  writeAll,
} from "../transport/mod.ts";
import {
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  parseHandshake,
  WireError,
} from "../wire/mod.ts";

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
): Promise<ReceivedHandshake> {
  const buffer = new Uint8Array(HANDSHAKE_LENGTH + 16 * 1024);
  let filled = 0;
  const timer = clock.after(timeoutMs, () => closeQuietly(stream));
  try {
    while (filled < HANDSHAKE_LENGTH) {
      const count = await stream.read(buffer.subarray(filled)).catch(() => null);
      if (count === null) throw new WireError("no handshake (connection closed or timed out)");
      filled += count;
    }
  } finally {
    timer.cancel();
  }
  const handshake = parseHandshake(buffer.subarray(0, HANDSHAKE_LENGTH));
  return { handshake, leftover: buffer.slice(HANDSHAKE_LENGTH, filled) };
}

/**
 * Opens a stream to a peer and exchanges handshakes for `infoHash`.
 *
 * @throws {WireError} or {@link TransportError} when it cannot.
 * @example
 * ```ts
 * const connected = await dialPeer(tcpTransport, { ip: "127.0.0.1", port: 6881 }, infoHash, peerId);
 * ```
 */
export async function dialPeer(
  transport: Transport,
  endpoint: Endpoint,
  infoHash: InfoHash,
  peerId: Uint8Array,
  clock: Clock = systemClock,
): Promise<Handshaken> {
  const stream = await transport.dial(endpoint, CONNECT_TIMEOUT_MS);
  try {
    await writeAll(stream, encodeHandshake(infoHash, peerId));
    const { handshake, leftover } = await readHandshake(stream, clock);
    if (!handshake.infoHash.equals(infoHash)) {
      throw new WireError("handshake for another torrent");
    }
    return { stream, handshake, leftover };
  } catch (error) {
    closeQuietly(stream);
    throw error;
  }
}
