/** A peer as a tracker hands it out: address, port and (optionally) its id. */
export interface PeerAddress {
  /** Dotted IPv4 or textual IPv6, without brackets. */
  readonly ip: string;
  readonly port: number;
  readonly peerId?: Uint8Array;
}

/** Bytes of one compact IPv4 peer (BEP 23): four address bytes, two port bytes. */
export const COMPACT_IPV4_LENGTH = 6;
/** Bytes of one compact IPv6 peer (BEP 7): sixteen address bytes, two port bytes. */
export const COMPACT_IPV6_LENGTH = 18;

/**
 * An IPv4 address seen through a dual-stack socket ("::ffff:1.2.3.4") as
 * the IPv4 address it is; any other address unchanged.
 *
 * @example
 * ```ts
 * unmapIpv4("::ffff:10.0.0.1"); // "10.0.0.1"
 * ```
 */
export function unmapIpv4(ip: string): string {
  // Checked before lowering the case: a tracker unmaps every announce's source.
  if (!ip.startsWith("::")) return ip;
  return ip.toLowerCase().startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/**
 * The four bytes of a dotted IPv4 address, or null if it is not one (see
 * {@link ipv4Number}).
 *
 * @example
 * ```ts
 * parseIpv4("10.0.0.1"); // Uint8Array [10, 0, 0, 1]
 * parseIpv4("10.0.0.256"); // null
 * ```
 */
export function parseIpv4(ip: string): Uint8Array | null {
  const address = ipv4Number(ip);
  if (address < 0) return null;
  return new Uint8Array([
    address >>> 24,
    (address >>> 16) & 0xff,
    (address >>> 8) & 0xff,
    address & 0xff,
  ]);
}

/**
 * A dotted IPv4 address (four parts of one to three ASCII digits, each at
 * most 255) as an unsigned 32-bit number, or -1 if it is not one. Read
 * character by character into a number: a tracker reads every announce's
 * source, and a typed array costs about a microsecond to make in Deno.
 *
 * @example
 * ```ts
 * ipv4Number("127.0.0.1"); // 0x7f000001
 * ipv4Number("localhost"); // -1
 * ```
 */
export function ipv4Number(ip: string): number {
  let address = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < ip.length; i++) {
    const code = ip.charCodeAt(i);
    if (code === DOT) {
      if (digits === 0 || parts === 3) return -1;
      address = address * 256 + value;
      parts++;
      value = digits = 0;
    } else if (code >= DIGIT_0 && code <= DIGIT_9 && digits < 3) {
      value = value * 10 + code - DIGIT_0;
      digits++;
      if (value > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return address * 256 + value;
}

const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** The sixteen bytes of a textual IPv6 address (IPv4-mapped forms included), or null. */
export function parseIpv6(ip: string): Uint8Array | null {
  if (!ip.includes(":")) return null;
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    const prefix = text.slice(0, lastColon + 1);
    text = prefix.endsWith("::") ? prefix : prefix.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const groups = [...head, ...rest];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const total = groups.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const words = [
    ...head.map((g) => parseInt(g, 16)),
    ...Array(8 - total).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/**
 * The compact form of a peer (BEP 23 for IPv4, BEP 7 for IPv6), or null if
 * the address is neither.
 *
 * @example
 * ```ts
 * compactPeer("127.0.0.1", 6881); // 6 bytes: 7f 00 00 01 1a e1
 * ```
 */
export function compactPeer(ip: string, port: number): Uint8Array | null {
  const address = parseIpv4(ip) ?? parseIpv6(ip);
  if (!address) return null;
  const bytes = new Uint8Array(address.length + 2);
  bytes.set(address);
  bytes[address.length] = port >> 8;
  bytes[address.length + 1] = port & 0xff;
  return bytes;
}

function formatIpv6(bytes: Uint8Array): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // The longest run of zero words (two or more) collapses to "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === "0") j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return words.join(":");
  return `${words.slice(0, bestStart).join(":")}::${words.slice(bestStart + bestLength).join(":")}`;
}

/**
 * The textual form of a 4-byte IPv4 or 16-byte IPv6 address (what a
 * peer's `yourip` says).
 *
 * @example
 * ```ts
 * formatIp(new Uint8Array([10, 0, 0, 7])); // "10.0.0.7"
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  return bytes.length === 4 ? bytes.join(".") : formatIpv6(bytes);
}

/**
 * Reads a run of compact peers: 6 bytes each for IPv4, 18 for IPv6.
 *
 * @returns the peers, or null if the length is not a whole number of entries.
 * @example
 * ```ts
 * parseCompactPeers(bytes, COMPACT_IPV4_LENGTH);
 * ```
 */
export function parseCompactPeers(bytes: Uint8Array, entryLength: number): PeerAddress[] | null {
  if (bytes.length % entryLength !== 0) return null;
  const peers: PeerAddress[] = [];
  for (let offset = 0; offset < bytes.length; offset += entryLength) {
    const address = bytes.subarray(offset, offset + entryLength - 2);
    const port = (bytes[offset + entryLength - 2] << 8) | bytes[offset + entryLength - 1];
    const ip = entryLength === COMPACT_IPV4_LENGTH ? address.join(".") : formatIpv6(address);
    peers.push({ ip, port });
  }
  return peers;
}

/**
 * The address and port in a compact peer held as a binary string.
 *
 * @example
 * ```ts
 * compactAddress("\x7f\x00\x00\x01\x1a\xe1"); // { ip: "127.0.0.1", port: 6881 }
 * ```
 */
export function compactAddress(compact: string): PeerAddress {
  const bytes = new Uint8Array(compact.length);
  for (let i = 0; i < compact.length; i++) bytes[i] = compact.charCodeAt(i);
  return parseCompactPeers(bytes, compact.length)![0];
}
