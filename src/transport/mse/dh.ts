/**
 * The Diffie-Hellman exchange that opens message stream encryption: each
 * side sends G^X mod P and both arrive at the same secret S. Computed with
 * BigInt rather than `node:crypto`'s DiffieHellman, which drops a public
 * key's leading zero byte (one key in 256) where the wire wants all 96, and
 * would make the private key its own object instead of bytes a test can fix.
 * BigInt is not constant-time; MSE's exchange is obfuscation, not
 * authentication, as its spec says.
 *
 * @module
 */
import { TransportError } from "../stream.ts";

/** The spec's 768-bit safe prime P. */
const P = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
);
const G = 2n;

/** Bytes of a public key and of the secret: 768 bits, big-endian, leading zeros kept. */
export const DH_KEY_LENGTH = 96;
/** Bytes of a private key: the 160 bits the spec recommends (128 at least, 180 adds nothing). */
const PRIVATE_KEY_LENGTH = 20;

/**
 * A fresh random private key X.
 *
 * @example
 * ```ts
 * const privateKey = newPrivateKey();
 * ```
 */
export function newPrivateKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(PRIVATE_KEY_LENGTH));
}

/**
 * Our public key Y = G^X mod P, as the 96 bytes sent to the peer.
 *
 * @example
 * ```ts
 * const ya = publicKey(privateKey); // ya.length === 96
 * ```
 */
export function publicKey(privateKey: Uint8Array): Uint8Array {
  return toBytes(modPow(G, toBigInt(privateKey)));
}

/**
 * The shared secret S = Y_peer^X mod P, 96 bytes.
 *
 * @throws {TransportError} when the peer's key is 0, 1, P-1 or not below P:
 *   such a key fixes S to a value anyone can guess.
 * @example
 * ```ts
 * const s = sharedSecret(privateKey, yb); // the same bytes the peer computes
 * ```
 */
export function sharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const y = toBigInt(peerPublicKey);
  if (peerPublicKey.length !== DH_KEY_LENGTH || y < 2n || y > P - 2n) {
    throw new TransportError("the peer's encryption key is out of range");
  }
  return toBytes(modPow(y, toBigInt(privateKey)));
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = base % P, e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(DH_KEY_LENGTH);
  for (let i = DH_KEY_LENGTH - 1; i >= 0 && value > 0n; i--, value >>= 8n) {
    bytes[i] = Number(value & 0xffn);
  }
  return bytes;
}
