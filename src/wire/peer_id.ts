import decodePeerId from "bittorrent-peerid";

/** Our client code in Azureus-style peer ids (`-P2` + version + `-`). */
export const CLIENT_CODE = "P2";

/**
 * A fresh Azureus-style peer id: `-P2` and four version digits, a dash,
 * then twelve random characters (e.g. `-P20100-` for version 0.1.0).
 *
 * @example
 * ```ts
 * generatePeerId("0.1.0"); // "-P20100-xxxxxxxxxxxx" as 20 bytes
 * ```
 */
export function generatePeerId(version: string): Uint8Array {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map((part) => Number(part) || 0);
  const digits = [major, minor, patch, 0].map((part) => String(Math.min(part, 9))).join("");
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const random = crypto.getRandomValues(new Uint8Array(12));
  const tail = [...random].map((byte) => alphabet[byte % alphabet.length]).join("");
  return new TextEncoder().encode(`-${CLIENT_CODE}${digits}-${tail}`);
}

/**
 * A peer id for people: its printable head (the Azureus-style `-TR3000-`,
 * or the whole id when it is all printable) and the client it names, when
 * bittorrent-peerid knows it; ours is named too.
 *
 * @example
 * ```ts
 * describePeerId(new TextEncoder().encode("-TR3000-abcdefghijkl")); // "-TR3000- (Transmission 3.00)"
 * ```
 */
export function describePeerId(peerId: Uint8Array): string {
  const text = String.fromCharCode(...peerId);
  const printable = /^[\x20-\x7e]*$/.test(text);
  const head = printable
    ? (/^-[A-Za-z0-9]{2}[A-Za-z0-9.]{4}-/.exec(text)?.[0] ?? text)
    : toHex(peerId);
  if (text.startsWith(`-${CLIENT_CODE}`)) return `${head} (p2p)`;
  let client: { client: string; version?: string | null } | undefined;
  try {
    client = decodePeerId(toHex(peerId));
  } catch {
    // Not 20 bytes, or a form it cannot read: the head alone says what there is.
  }
  if (!client || client.client === "unknown") return head;
  return `${head} (${client.client}${client.version ? ` ${client.version}` : ""})`;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
