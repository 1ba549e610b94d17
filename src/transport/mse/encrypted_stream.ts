import { type Endpoint, type PeerStream, writeAll } from "../stream.ts";
import type { MseCiphers } from "./keys.ts";

/**
 * Most bytes one write encrypts, and so the largest buffer a stream keeps:
 * the batches `PeerConnection` writes, so each of its writes stays one
 * write on the socket.
 */
const MAX_WRITE_CHUNK = 128 * 1024;

/**
 * The stream that carries on after a handshake: it first yields `prefix`
 * (bytes that arrived with the handshake, already in the clear), then
 * reads `inner`, decrypting and encrypting with `ciphers` when RC4 was
 * selected. Without ciphers or a prefix it is `inner` itself.
 *
 * @example
 * ```ts
 * const peer = afterHandshake(stream, reader.rest(), mseCiphers(secret, infoHash, "initiator"));
 * ```
 */
export function afterHandshake(
  inner: PeerStream,
  prefix: Uint8Array,
  ciphers: MseCiphers | undefined,
): PeerStream {
  return ciphers === undefined && prefix.length === 0
    ? inner
    : new MseStream(inner, prefix, ciphers);
}

/**
 * Reads decrypt in place, in the caller's buffer; writes encrypt into one
 * buffer the stream reuses and write all of it before returning, because
 * the keystream has moved on past those bytes. Like a socket, it takes one
 * read and one write at a time (the two may overlap).
 */
class MseStream implements PeerStream {
  readonly remote: Endpoint;
  readonly via: string | undefined;
  #prefix: Uint8Array;
  #out = new Uint8Array(0);

  constructor(
    readonly inner: PeerStream,
    prefix: Uint8Array,
    readonly ciphers: MseCiphers | undefined,
  ) {
    this.remote = inner.remote;
    this.via = inner.via;
    this.#prefix = prefix;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#prefix.length > 0) {
      const count = Math.min(buffer.length, this.#prefix.length);
      buffer.set(this.#prefix.subarray(0, count));
      this.#prefix = this.#prefix.subarray(count);
      return count;
    }
    const count = await this.inner.read(buffer);
    if (count !== null) this.ciphers?.decrypt.crypt(buffer.subarray(0, count));
    return count;
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.ciphers === undefined) return await this.inner.write(bytes);
    const count = Math.min(bytes.length, MAX_WRITE_CHUNK);
    if (this.#out.length < count) {
      // Grown to the largest write seen, so an idle peer holds little.
      this.#out = new Uint8Array(Math.min(MAX_WRITE_CHUNK, Math.max(count, 2 * this.#out.length)));
    }
    const out = this.#out.subarray(0, count);
    this.ciphers.encrypt.crypt(bytes.subarray(0, count), out);
    await writeAll(this.inner, out);
    return count;
  }

  close(): void {
    this.inner.close();
  }
}
