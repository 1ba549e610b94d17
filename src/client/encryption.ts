import type { MseMethod } from "../transport/mod.ts";
import type { PeerMemory } from "./peer_memory.ts";

/**
 * How connections are encrypted (message stream encryption), named as
 * users know the setting from their clients:
 * - `prefer`: dial with the encrypted handshake, falling back to plaintext
 *   for a peer that does not speak it; accept either; select RC4 when a
 *   peer offers it.
 * - `require`: encrypted (RC4) only, both ways; plaintext peers are refused.
 * - `allow`: dial in plaintext, falling back to the encrypted handshake for a
 *   peer that closes on plaintext; accept either, selecting plaintext after an
 *   encrypted handshake when the peer allows it (cheaper).
 * - `off`: plaintext only, both ways.
 */
export type EncryptionPolicy = "prefer" | "require" | "allow" | "off";

/** Every policy, for option parsing. */
export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = [
  "prefer",
  "require",
  "allow",
  "off",
];

/**
 * The default: like Transmission's ("prefer encryption") and libtorrent's
 * (`pe_enabled`, which qBittorrent and Deluge ship), and what WebTorrent
 * needs, since it opens every connection with the encrypted handshake.
 */
export const DEFAULT_ENCRYPTION: EncryptionPolicy = "prefer";

/** How one dial attempt opens: with the encrypted handshake, or the plain one. */
export type Opening = "encrypted" | "plaintext";

/**
 * The openings to try, in order, when dialling a peer: the policy's own
 * order, unless the peer needed the other one last time.
 *
 * @example
 * ```ts
 * openingsFor("prefer", memory.get(address)); // ["encrypted", "plaintext"]
 * ```
 */
export function openingsFor(
  policy: EncryptionPolicy,
  remembered: Opening | undefined,
): Opening[] {
  switch (policy) {
    case "off":
      return ["plaintext"];
    case "require":
      return ["encrypted"];
    case "prefer":
      return remembered === "plaintext" ? ["plaintext", "encrypted"] : ["encrypted", "plaintext"];
    case "allow":
      return remembered === "encrypted" ? ["encrypted", "plaintext"] : ["plaintext", "encrypted"];
  }
}

/** What we offer a peer in our encrypted handshake (`crypto_provide`). */
export function providedMethods(policy: EncryptionPolicy): MseMethod[] {
  return policy === "require" ? ["rc4"] : ["rc4", "plaintext"];
}

/**
 * What we select from a peer's encrypted handshake, in order of preference;
 * none for `off`, which refuses encrypted peers.
 */
export function acceptedMethods(policy: EncryptionPolicy): MseMethod[] {
  switch (policy) {
    case "off":
      return [];
    case "require":
      return ["rc4"];
    case "prefer":
      return ["rc4", "plaintext"];
    case "allow":
      return ["plaintext", "rc4"];
  }
}

/** Which opening worked for each peer address lately. */
export type OpeningMemory = PeerMemory<Opening>;
