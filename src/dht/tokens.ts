import { createHash } from "node:crypto";
import type { Endpoint } from "../transport/mod.ts";

/** How often the secret behind announce tokens changes (BEP 5: every five minutes). */
export const TOKEN_ROTATION_MS = 5 * 60_000;
/** Bytes of a token we hand out: enough that guessing one is hopeless, short on the wire. */
const TOKEN_BYTES = 8;

/**
 * Announce tokens (BEP 5): a get_peers answer carries a token that only the
 * asker's IP address can bring back in announce_peer, so nobody can
 * announce a peer at an address it does not hold. A token is a hash of the
 * address and a secret that rotates; tokens made with the current or the
 * previous secret are accepted, so a token lives five to ten minutes.
 *
 * @example
 * ```ts
 * const tokens = new TokenIssuer();
 * const token = tokens.issue(from);
 * tokens.valid(token, from); // true
 * ```
 */
export class TokenIssuer {
  #current = randomSecret();
  #previous = randomSecret();

  /** Draws a new secret; the one before stays valid until the next rotation. */
  rotate(): void {
    this.#previous = this.#current;
    this.#current = randomSecret();
  }

  /** The token for a node at this address. */
  issue(from: Endpoint): Uint8Array {
    return tokenOf(this.#current, from.ip);
  }

  /** Whether `token` was issued to this address under the current or the previous secret. */
  valid(token: Uint8Array, from: Endpoint): boolean {
    return sameBytes(token, tokenOf(this.#current, from.ip)) ||
      sameBytes(token, tokenOf(this.#previous, from.ip));
  }
}

function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

function tokenOf(secret: Uint8Array, ip: string): Uint8Array {
  const digest = createHash("sha1").update(secret).update(ip).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, TOKEN_BYTES);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
