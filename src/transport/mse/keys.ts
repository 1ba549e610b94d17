/**
 * What message stream encryption derives from the shared secret S and the
 * torrent's info hash (the spec's SKEY): the hashes that synchronise the
 * handshake and prove which torrent a peer wants, and the two RC4 ciphers.
 * HASH is SHA-1 over the concatenated parts.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { InfoHash } from "../../metainfo/mod.ts";
import { Rc4 } from "./rc4.ts";

/** Bytes of every HASH(): SHA-1. */
export const MSE_HASH_LENGTH = 20;
/** Keystream thrown away before the first byte is encrypted, in each direction. */
const DISCARDED_KEYSTREAM = 1024;

/**
 * HASH('req1', S): the initiator sends it in the clear right after its
 * padding, so the receiver can find where the padding ends.
 *
 * @example
 * ```ts
 * const marker = req1Hash(secret);
 * ```
 */
export function req1Hash(secret: Uint8Array): Uint8Array {
  return hash("req1", secret);
}

/**
 * HASH('req2', SKEY): what a receiver precomputes per torrent, to find the
 * one a peer proved without trying every torrent against each peer.
 *
 * @example
 * ```ts
 * const key = req2Hash(infoHash);
 * ```
 */
export function req2Hash(infoHash: InfoHash): Uint8Array {
  return hash("req2", infoHash.bytes);
}

/**
 * HASH('req2', SKEY) xor HASH('req3', S): the initiator's proof that it knows
 * the torrent, which an eavesdropper cannot map back to an info hash.
 *
 * @example
 * ```ts
 * const proof = torrentProof(secret, infoHash);
 * ```
 */
export function torrentProof(secret: Uint8Array, infoHash: InfoHash): Uint8Array {
  return xor(req2Hash(infoHash), hash("req3", secret));
}

/**
 * Undoes {@link torrentProof}'s xor: the HASH('req2', SKEY) of the torrent
 * the peer asks for, to look up among the torrents served.
 *
 * @example
 * ```ts
 * const wanted = provenReq2(secret, proof); // equals req2Hash(infoHash) for an honest peer
 * ```
 */
export function provenReq2(secret: Uint8Array, proof: Uint8Array): Uint8Array {
  return xor(proof, hash("req3", secret));
}

/** The two RC4 states of one side of a connection. */
export interface MseCiphers {
  /** Encrypts what this side sends. */
  readonly encrypt: Rc4;
  /** Decrypts what this side receives. */
  readonly decrypt: Rc4;
}

/**
 * The ciphers of one side: the initiator (A) sends with HASH('keyA', S, SKEY)
 * and the receiver (B) with HASH('keyB', S, SKEY), each with its first 1024
 * bytes of keystream discarded.
 *
 * @example
 * ```ts
 * const { encrypt, decrypt } = mseCiphers(secret, infoHash, "initiator");
 * ```
 */
export function mseCiphers(
  secret: Uint8Array,
  infoHash: InfoHash,
  side: "initiator" | "receiver",
): MseCiphers {
  const a = cipher("keyA", secret, infoHash);
  const b = cipher("keyB", secret, infoHash);
  return side === "initiator" ? { encrypt: a, decrypt: b } : { encrypt: b, decrypt: a };
}

function cipher(label: string, secret: Uint8Array, infoHash: InfoHash): Rc4 {
  const rc4 = new Rc4(hash(label, secret, infoHash.bytes));
  rc4.discard(DISCARDED_KEYSTREAM);
  return rc4;
}

function hash(label: string, ...parts: Uint8Array[]): Uint8Array {
  const sha1 = createHash("sha1").update(label);
  for (const part of parts) sha1.update(part);
  return new Uint8Array(sha1.digest());
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((byte, i) => byte ^ b[i]);
}
