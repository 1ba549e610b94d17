/** Where a peer is: its IP address (v4 or v6) and port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/**
 * A byte stream to one peer, whatever carries it: a TCP socket today, an
 * encryption wrapper or another transport later, an in-memory pipe in
 * tests. The engine reads and writes peers only through this.
 */
export interface PeerStream {
  /** Reads into `buffer`; resolves with the count, or null once the stream ended. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes` (at least one byte); resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes both directions; closing twice is harmless. */
  close(): void;
  readonly remote: Endpoint;
  /** What carries it, for people (`TCP`, `uTP`); unset for test pipes. */
  readonly via?: string;
}

/** Incoming streams on one port. */
export interface StreamListener extends AsyncIterable<PeerStream> {
  /** The port actually bound (a listener asked for port 0 gets a free one). */
  readonly port: number;
  close(): void;
}

/** How streams are opened and accepted: TCP in the program, in-memory pipes in tests. */
export interface Transport {
  /**
   * Opens a stream to `endpoint`, giving up after `timeoutMs`.
   *
   * @throws {TransportError} when it cannot.
   */
  dial(endpoint: Endpoint, timeoutMs: number): Promise<PeerStream>;
  /**
   * Listens on `host:port` (0: any free port).
   *
   * @throws {TransportError} when the port is taken or cannot be bound.
   */
  listen(host: string, port: number): StreamListener;
}

/** A stream that could not be opened or a port that could not be bound, said for people. */
export class TransportError extends Error {
  override name = "TransportError";
}

/**
 * `ip:port` as people read it, with IPv6 in brackets.
 *
 * @example
 * ```ts
 * formatEndpoint({ ip: "::1", port: 6881 }); // "[::1]:6881"
 * ```
 */
export function formatEndpoint({ ip, port }: Endpoint): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Writes all of `bytes`, however little each write takes.
 *
 * @example
 * ```ts
 * await writeAll(stream, encodeHandshake(infoHash, peerId));
 * ```
 */
export async function writeAll(stream: PeerStream, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await stream.write(bytes.subarray(written));
}

/** Closes a stream, ignoring a stream already closed. */
export function closeQuietly(stream: { close(): void }): void {
  try {
    stream.close();
  } catch {
    // already closed
  }
}
