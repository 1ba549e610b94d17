/**
 * Helpers for message stream encryption tests: pipes, data, a tap on what
 * crosses the wire, and hand-driven peers built from the pure parts, which
 * say exactly the bytes a test wants, hostile ones included.
 *
 * @module
 */
import { InfoHash } from "../../src/metainfo/mod.ts";
import { type PeerStream, writeAll } from "../../src/transport/mod.ts";
import {
  DH_KEY_LENGTH,
  newPrivateKey,
  publicKey,
  sharedSecret,
} from "../../src/transport/mse/dh.ts";
import {
  type MseCiphers,
  mseCiphers,
  req1Hash,
  torrentProof,
} from "../../src/transport/mse/keys.ts";
import { memoryPipe } from "../engine/memory_network.ts";

export const infoHash = InfoHash.fromHex("a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b");
export const otherInfoHash = InfoHash.fromHex("0123456789abcdef0123456789abcdef01234567");

/** Patience of every handshake in these tests; only a manual clock ever reaches it. */
export const TIMEOUT_MS = 10_000;

/** A pipe between an initiator (A) and a receiver (B). */
export function pipe(): { a: PeerStream; b: PeerStream } {
  const [a, b] = memoryPipe({ ip: "10.0.0.1", port: 40001 }, { ip: "10.0.0.2", port: 6881 });
  return { a, b };
}

/** A stream that records every byte written through it: what crossed the wire. */
export function tapped(stream: PeerStream): { stream: PeerStream; wire: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    stream: {
      remote: stream.remote,
      read: (buffer) => stream.read(buffer),
      async write(bytes) {
        const count = await stream.write(bytes);
        chunks.push(bytes.slice(0, count));
        return count;
      },
      close: () => stream.close(),
    },
    wire: () => concat(...chunks),
  };
}

/** `length` bytes that do not repeat for a long while (xorshift32), the same for the same seed. */
export function pseudoRandom(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
}

/** Reads exactly `count` bytes, or fails if the stream ends first. */
export async function readExactly(stream: PeerStream, count: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(count);
  for (let filled = 0; filled < count;) {
    const read = await stream.read(bytes.subarray(filled));
    if (read === null) throw new Error(`stream ended after ${filled} of ${count} bytes`);
    filled += read;
  }
  return bytes;
}

/** True once `stream`'s pipe is closed: writing to it fails. */
export async function isClosed(stream: PeerStream): Promise<boolean> {
  return await stream.write(new Uint8Array(1)).then(() => false, () => true);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/** Where `needle` first occurs in `haystack`, or -1. */
export function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let at = 0; at + needle.length <= haystack.length; at++) {
    for (let i = 0; i < needle.length; i++) if (haystack[at + i] !== needle[i]) continue outer;
    return at;
  }
  return -1;
}

/** A big-endian field of `size` bytes. */
export function be(value: number, size: 2 | 4): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  if (size === 2) view.setUint16(0, value);
  else view.setUint32(0, value);
  return bytes;
}

/** One side's state once the keys are exchanged. */
export interface Keyed {
  readonly secret: Uint8Array;
  /** The ciphers for `infoHash`, of this side. */
  readonly ciphers: MseCiphers;
}

/**
 * Plays A up to step 2: sends its key and `padA`, reads B's key (not PadB).
 * `key` replaces the honest public key (a hostile one).
 */
export async function initiatorKeys(
  stream: PeerStream,
  padA: Uint8Array,
  key?: Uint8Array,
): Promise<Keyed> {
  const privateKey = newPrivateKey();
  await writeAll(stream, concat(key ?? publicKey(privateKey), padA));
  const secret = sharedSecret(privateKey, await readExactly(stream, DH_KEY_LENGTH));
  return { secret, ciphers: mseCiphers(secret, infoHash, "initiator") };
}

/** Plays B up to step 2: reads A's key (not PadA), sends its key and `padB`. */
export async function receiverKeys(
  stream: PeerStream,
  padB: Uint8Array,
  key?: Uint8Array,
): Promise<Keyed> {
  const privateKey = newPrivateKey();
  const secret = sharedSecret(privateKey, await readExactly(stream, DH_KEY_LENGTH));
  await writeAll(stream, concat(key ?? publicKey(privateKey), padB));
  return { secret, ciphers: mseCiphers(secret, infoHash, "receiver") };
}

/** Step 3 as A sends it, every field the test's to choose. */
export interface RequestFields {
  /** The torrent A proves it wants. */
  readonly proofFor?: InfoHash;
  /** Which torrent's keys encrypt the rest (the wrong one garbles VC). */
  readonly keysFor?: InfoHash;
  readonly provide?: number;
  readonly padC?: Uint8Array;
  /** len(IA) as sent; the IA bytes sent may be fewer (a peer that stalls). */
  readonly iaLength?: number;
  readonly ia?: Uint8Array;
}

export function request(keyed: Keyed, fields: RequestFields = {}): Uint8Array {
  const { proofFor = infoHash, keysFor = infoHash, provide = 0x02 } = fields;
  const { padC = new Uint8Array(0), ia = new Uint8Array(0) } = fields;
  const encrypted = concat(
    new Uint8Array(8),
    be(provide, 4),
    be(padC.length, 2),
    padC,
    be(fields.iaLength ?? ia.length, 2),
    ia,
  );
  const cipher = keysFor === infoHash
    ? keyed.ciphers.encrypt
    : mseCiphers(keyed.secret, keysFor, "initiator").encrypt;
  cipher.crypt(encrypted);
  return concat(req1Hash(keyed.secret), torrentProof(keyed.secret, proofFor), encrypted);
}

/** Step 4's head as B sends it, encrypted with B's cipher. */
export function reply(
  keyed: Keyed,
  select: number,
  padD: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const bytes = concat(new Uint8Array(8), be(select, 4), be(padD.length, 2), padD);
  keyed.ciphers.encrypt.crypt(bytes);
  return bytes;
}
