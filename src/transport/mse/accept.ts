import type { InfoHash } from "../../metainfo/mod.ts";
import { type PeerStream, TransportError, writeAll } from "../stream.ts";
import { DH_KEY_LENGTH, newPrivateKey, publicKey, sharedSecret } from "./dh.ts";
import { afterHandshake } from "./encrypted_stream.ts";
import {
  chooseMethod,
  encodeReply,
  keyMessage,
  LENGTH_FIELD_LENGTH,
  MAX_PAD_LENGTH,
  type MseMethod,
  parseInitialPayloadLength,
  parseRequestHead,
  REQUEST_HEAD_LENGTH,
} from "./fields.ts";
import { MSE_HASH_LENGTH, mseCiphers, provenReq2, req1Hash } from "./keys.ts";
import { type HandshakeClock, HandshakeReader, withinDeadline } from "./reader.ts";
import type { InfoHashLookup } from "./served_torrents.ts";

/** What an incoming encrypted connection needs. */
export interface AcceptMseOptions {
  /**
   * Bytes already read from the stream, to tell an encrypted peer from a
   * plaintext BitTorrent handshake: the start of the peer's key.
   */
  readonly firstBytes: Uint8Array;
  /** The torrents we serve (a `ServedTorrents`, or any lookup). */
  readonly torrents: InfoHashLookup;
  /**
   * The methods we accept for what follows the handshake, in order of
   * preference: `["rc4"]` to insist on encryption, `["rc4", "plaintext"]`
   * to take plaintext from a peer that offers nothing else.
   */
  readonly accept: readonly MseMethod[];
  readonly clock: HandshakeClock;
  /** Longest the whole handshake may take. */
  readonly timeoutMs: number;
}

/** An incoming connection after its encryption handshake. */
export interface MseAccepted {
  /**
   * Carries on after the handshake. Its first bytes are the peer's IA (its
   * BitTorrent handshake, normally), then whatever the peer sent next, so
   * the caller reads the BitTorrent handshake from it as from any stream.
   */
  readonly stream: PeerStream;
  /** The torrent the peer proved it wants. */
  readonly infoHash: InfoHash;
  /** The method we selected. */
  readonly method: MseMethod;
}

/**
 * Runs the receiver's side of message stream encryption on an incoming
 * `stream` whose first bytes were read already: the peer's key, ours, the
 * peer's request (which torrent, which methods, IA), our reply. The stream
 * returned encrypts and decrypts with RC4 when we selected it, and reads
 * and writes in the clear after IA when we selected plaintext.
 *
 * @throws {TransportError} saying why, with `stream` closed, when the peer
 *   is out of step, wants a torrent we do not serve, offers no method we
 *   accept, sends fields out of range, closes, or takes longer than
 *   `timeoutMs`.
 * @example
 * ```ts
 * const { stream: peer, infoHash } = await acceptMse(stream, {
 *   firstBytes,
 *   torrents: servedTorrents,
 *   accept: ["rc4", "plaintext"],
 *   clock: systemClock,
 *   timeoutMs: 10_000,
 * });
 * const { handshake } = await readHandshake(peer);
 * ```
 */
export function acceptMse(stream: PeerStream, options: AcceptMseOptions): Promise<MseAccepted> {
  const { firstBytes, torrents, accept, clock, timeoutMs } = options;
  return withinDeadline(stream, clock, timeoutMs, async () => {
    const reader = new HandshakeReader(stream, firstBytes);
    const privateKey = newPrivateKey();
    const secret = sharedSecret(privateKey, await reader.take(DH_KEY_LENGTH));
    await writeAll(stream, keyMessage(publicKey(privateKey)));
    // PadA's length is not sent: the request starts where HASH('req1', S) turns up.
    await reader.skipPast(
      req1Hash(secret),
      MAX_PAD_LENGTH,
      `the peer's encryption handshake did not synchronise: no secret hash within ${MAX_PAD_LENGTH} bytes after its key`,
    );
    const infoHash = torrents.find(provenReq2(secret, await reader.take(MSE_HASH_LENGTH)));
    if (infoHash === undefined) {
      throw new TransportError("the peer asked for a torrent we do not serve");
    }
    const { encrypt, decrypt } = mseCiphers(secret, infoHash, "receiver");
    const head = await reader.take(REQUEST_HEAD_LENGTH);
    decrypt.crypt(head);
    const { provided, padLength } = parseRequestHead(head);
    const method = chooseMethod(provided, accept);
    const padAndLength = await reader.take(padLength + LENGTH_FIELD_LENGTH);
    decrypt.crypt(padAndLength);
    const initialPayload = await reader.take(
      parseInitialPayloadLength(padAndLength.subarray(padLength)),
    );
    decrypt.crypt(initialPayload);
    await writeAll(stream, encodeReply(method, encrypt));
    const rest = reader.rest();
    if (method === "rc4") decrypt.crypt(rest);
    const prefix = new Uint8Array(initialPayload.length + rest.length);
    prefix.set(initialPayload);
    prefix.set(rest, initialPayload.length);
    const ciphers = method === "rc4" ? { encrypt, decrypt } : undefined;
    return { stream: afterHandshake(stream, prefix, ciphers), infoHash, method };
  });
}
