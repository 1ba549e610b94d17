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
