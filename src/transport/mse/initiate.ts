import type { InfoHash } from "../../metainfo/mod.ts";
import { type PeerStream, TransportError, writeAll } from "../stream.ts";
import { DH_KEY_LENGTH, newPrivateKey, publicKey, sharedSecret } from "./dh.ts";
import { afterHandshake } from "./encrypted_stream.ts";
import {
  encodeRequest,
  encryptedVc,
  keyMessage,
  MAX_PAD_LENGTH,
  type MseMethod,
  parseReplyHead,
  REPLY_HEAD_LENGTH,
} from "./fields.ts";
import { mseCiphers } from "./keys.ts";
import { type HandshakeClock, HandshakeReader, withinDeadline } from "./reader.ts";

/** What an outgoing encrypted connection needs. */
export interface InitiateMseOptions {
  /** The torrent we want from the peer (the spec's SKEY). */
  readonly infoHash: InfoHash;
  /**
   * The methods we offer for what follows the handshake: `["rc4"]` to insist
   * on encryption, `["rc4", "plaintext"]` to let the peer choose.
   */
  readonly provide: readonly MseMethod[];
  /**
   * IA: bytes sent, encrypted, inside the handshake itself (at most 65535),
   * normally our BitTorrent handshake, which then costs no round trip.
   */
  readonly initialPayload: Uint8Array;
  readonly clock: HandshakeClock;
  /** Longest the whole handshake may take. */
  readonly timeoutMs: number;
}

/** An outgoing connection after its encryption handshake. */
export interface MseInitiated {
  /** Carries on after the handshake: its first bytes are whatever the peer sent after it. */
  readonly stream: PeerStream;
  /** The method the peer selected, one of those we offered. */
  readonly method: MseMethod;
}

/**
 * Runs the initiator's side of message stream encryption on a freshly
 * opened `stream`: our key, the peer's key, our request with IA, the peer's
 * reply. The stream returned encrypts and decrypts with RC4 when the peer
 * selected it, and is the plain stream when it selected plaintext.
 *
 * @throws {TransportError} saying why, with `stream` closed, when the peer
 *   is out of step, selects a method we did not offer, sends fields out of
 *   range, closes, or takes longer than `timeoutMs`.
 * @example
 * ```ts
 * const { stream: peer, method } = await initiateMse(stream, {
 *   infoHash,
 *   provide: ["rc4", "plaintext"],
 *   initialPayload: encodeHandshake(infoHash, peerId),
 *   clock: systemClock,
 *   timeoutMs: 10_000,
 * });
 * ```
 */
/** How a plaintext BitTorrent handshake starts: 19, then "BitTorrent protocol". */
const PLAINTEXT_HANDSHAKE_START = new TextEncoder().encode("\x13BitTorrent protocol");

export function initiateMse(
  stream: PeerStream,
  options: InitiateMseOptions,
): Promise<MseInitiated> {
  const { infoHash, provide, initialPayload, clock, timeoutMs } = options;
  return withinDeadline(stream, clock, timeoutMs, async () => {
    const privateKey = newPrivateKey();
    await writeAll(stream, keyMessage(publicKey(privateKey)));
    const reader = new HandshakeReader(stream);
    // A peer that speaks only plaintext may answer our key with its own handshake instead of
    // closing: no key starts with these 20 bytes but once in 2^160, so say so at once.
    if (await reader.startsWith(PLAINTEXT_HANDSHAKE_START)) {
      throw new TransportError("the peer answered in plaintext: it does not speak encryption");
    }
    const secret = sharedSecret(privateKey, await reader.take(DH_KEY_LENGTH));
    const ciphers = mseCiphers(secret, infoHash, "initiator");
    const request = encodeRequest({ secret, infoHash, provide, initialPayload }, ciphers.encrypt);
    await writeAll(stream, request);
    // PadB's length is not sent: the reply starts where ENCRYPT(VC) turns up.
    await reader.skipPast(
      encryptedVc(ciphers.decrypt),
      MAX_PAD_LENGTH,
      `the peer's encryption handshake did not synchronise: no verification constant within ${MAX_PAD_LENGTH} bytes after its key`,
    );
    const head = await reader.take(REPLY_HEAD_LENGTH);
    ciphers.decrypt.crypt(head);
    const { method, padLength } = parseReplyHead(head, provide);
    ciphers.decrypt.crypt(await reader.take(padLength));
    const rest = reader.rest();
    if (method === "rc4") ciphers.decrypt.crypt(rest);
    return { stream: afterHandshake(stream, rest, method === "rc4" ? ciphers : undefined), method };
  });
}
