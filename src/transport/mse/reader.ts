import { closeQuietly, type PeerStream, TransportError } from "../stream.ts";

/**
 * The part of the engine's `Clock` a handshake needs. Declared here because
 * transports sit below the session, where `Clock` lives; any `Clock` is one.
 */
export interface HandshakeClock {
  after(ms: number, task: () => void): { cancel(): void };
}

/**
 * Runs one side of a handshake over `stream`, closing the stream when it
 * fails or takes longer than `timeoutMs`. A stalled peer leaves a read
 * pending; closing the stream is what ends that read.
 *
 * @throws {TransportError} saying why the handshake failed.
 * @example
 * ```ts
 * const key = await withinDeadline(stream, clock, 10_000, () => reader.take(96));
 * ```
 */
export async function withinDeadline<T>(
  stream: PeerStream,
  clock: HandshakeClock,
  timeoutMs: number,
  handshake: () => Promise<T>,
): Promise<T> {
  let timedOut = false;
  const timer = clock.after(timeoutMs, () => {
    timedOut = true;
    closeQuietly(stream);
  });
  try {
    return await handshake();
  } catch (error) {
    closeQuietly(stream);
    if (timedOut) throw new TransportError("the encryption handshake timed out");
    throw error;
  } finally {
    timer.cancel();
  }
}

/**
 * Room the buffer starts with: either side's handshake with every padding at
 * the spec's most and a BitTorrent handshake as IA, with room to spare.
 */
const INITIAL_CAPACITY = 4096;

/**
 * Buffered reading of a handshake: waits for as many bytes as the next field
 * needs, hands them out, and keeps whatever arrived beyond them for the
 * stream that carries on after the handshake.
 *
 * @example
 * ```ts
 * const reader = new HandshakeReader(stream, firstBytes);
 * const peerKey = await reader.take(96);
 * ```
 */
export class HandshakeReader {
  #buffer: Uint8Array;
  /** Start of the bytes not taken yet. */
  #start = 0;
  /** End of the bytes read. */
  #end: number;

  /** Reads `stream`, after the bytes `firstBytes` someone already read from it. */
  constructor(readonly stream: PeerStream, firstBytes: Uint8Array = new Uint8Array(0)) {
    this.#buffer = new Uint8Array(Math.max(INITIAL_CAPACITY, firstBytes.length));
    this.#buffer.set(firstBytes);
    this.#end = firstBytes.length;
  }

  /**
   * The next `count` bytes, once they have arrived. They are the reader's
   * own bytes: the caller may decrypt them in place.
   */
  async take(count: number): Promise<Uint8Array> {
    while (this.#end - this.#start < count) await this.#readMore(count);
    const bytes = this.#buffer.subarray(this.#start, this.#start + count);
    this.#start += count;
    return bytes;
  }

  /**
   * Skips up to `maxSkip` bytes to just past `marker`, reading as needed.
   *
   * @throws {TransportError} with `failure` when the marker does not start
   *   within `maxSkip` bytes: the peer is out of step or not speaking this
   *   protocol, and reading on would only wait for more garbage.
   */
  async skipPast(marker: Uint8Array, maxSkip: number, failure: string): Promise<void> {
    const last = this.#start + maxSkip;
    for (let at = this.#start;;) {
      for (; at <= last && at + marker.length <= this.#end; at++) {
        if (startsWith(this.#buffer, marker, at)) {
          this.#start = at + marker.length;
          return;
        }
      }
      if (at > last) throw new TransportError(failure);
      await this.#readMore(at + marker.length - this.#start);
    }
  }

  /** Whether the next bytes, once `prefix.length` of them have arrived, are `prefix` (nothing is taken). */
  async startsWith(prefix: Uint8Array): Promise<boolean> {
    while (this.#end - this.#start < prefix.length) await this.#readMore(prefix.length);
    return startsWith(this.#buffer, prefix, this.#start);
  }

  /** The bytes read beyond what was taken (the start of what follows the handshake). */
  rest(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** Reads at least one more byte, first making room for `wanted` bytes from the start. */
  async #readMore(wanted: number): Promise<void> {
    if (this.#start + wanted > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(wanted, 2 * this.#buffer.length));
      grown.set(this.rest());
      this.#end -= this.#start;
      this.#start = 0;
      this.#buffer = grown;
    }
    // A read that fails is a stream that closed or broke: either way the
    // handshake is over, for the reason its deadline records.
    const count = await this.stream.read(this.#buffer.subarray(this.#end)).catch(() => null);
    if (count === null) {
      throw new TransportError("the peer closed the connection during the encryption handshake");
    }
    this.#end += count;
  }
}

function startsWith(buffer: Uint8Array, marker: Uint8Array, at: number): boolean {
  for (let i = 0; i < marker.length; i++) if (buffer[at + i] !== marker[i]) return false;
  return true;
}
