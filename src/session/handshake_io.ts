import {
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  parseHandshake,
  WireError,
} from "../wire/mod.ts";

/** Longest a TCP connect may take. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Longest a peer may take to send its handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** A handshake read from a connection, with any bytes that came after it. */
export interface ReceivedHandshake extends Handshake {
  readonly leftover: Uint8Array;
}

/**
 * Reads the peer's 68-byte handshake, keeping whatever follows it (often the
 * bitfield, in the same segment).
 *
 * @throws {WireError} on timeout, early close, or a foreign protocol.
 * @example
 * ```ts
 * const { infoHash, peerId, leftover } = await readHandshake(conn);
 * ```
 */
export async function readHandshake(
  conn: Deno.Conn,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<ReceivedHandshake> {
  const buffer = new Uint8Array(HANDSHAKE_LENGTH + 16 * 1024);
  let filled = 0;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  try {
    while (filled < HANDSHAKE_LENGTH) {
      const count = await conn.read(buffer.subarray(filled)).catch(() => null);
      if (count === null) throw new WireError("no handshake (connection closed or timed out)");
      filled += count;
    }
  } finally {
    clearTimeout(timer);
  }
  const handshake = parseHandshake(buffer.subarray(0, HANDSHAKE_LENGTH));
  return { ...handshake, leftover: buffer.slice(HANDSHAKE_LENGTH, filled) };
}

/**
 * Writes our handshake.
 *
 * @example
 * ```ts
 * await sendHandshake(conn, torrent.infoHash, peerId);
 * ```
 */
export async function sendHandshake(
  conn: Deno.Conn,
  infoHash: Uint8Array,
  peerId: Uint8Array,
): Promise<void> {
  const bytes = encodeHandshake(infoHash, peerId);
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/**
 * Connects to a peer and exchanges handshakes for `infoHash`.
 *
 * @throws {WireError} or a network error when it cannot.
 * @example
 * ```ts
 * const { conn, handshake } = await connectToPeer("127.0.0.1", 6881, infoHash, peerId);
 * ```
 */
export async function connectToPeer(
  hostname: string,
  port: number,
  infoHash: Uint8Array,
  peerId: Uint8Array,
): Promise<{ conn: Deno.Conn; handshake: ReceivedHandshake }> {
  const conn = await Deno.connect({
    hostname,
    port,
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  });
  try {
    await sendHandshake(conn, infoHash, peerId);
    const handshake = await readHandshake(conn);
    if (!sameBytes(handshake.infoHash, infoHash)) {
      throw new WireError("handshake for another torrent");
    }
    return { conn, handshake };
  } catch (error) {
    try {
      conn.close();
    } catch {
      // already closed
    }
    throw error;
  }
}

/** Byte-wise equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
