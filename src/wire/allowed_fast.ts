import { createHash } from "node:crypto";
import type { InfoHash } from "../metainfo/mod.ts";
import { parseIpv4, unmapIpv4 } from "../transport/mod.ts";

/**
 * The canonical allowed-fast set of BEP 6: the pieces a peer at `ip` may
 * ask of us while we choke it, `count` of them (at most every piece), in
 * the order the BEP generates them. It depends only on the torrent and the
 * peer's /24 network, so a peer that reconnects, or comes from more
 * addresses of one network, always gets the same set, and any two clients
 * compute the same one.
 *
 * The BEP defines it for IPv4 only: for any other address the set is empty.
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as its IPv4 one.
 *
 * @example
 * ```ts
 * allowedFastSet(infoHash, "80.4.4.200", 1313, 7); // [1059, 431, 808, 1217, 287, 376, 1188] for 0xaa...
 * ```
 */
export function allowedFastSet(
  infoHash: InfoHash,
  ip: string,
  pieceCount: number,
  count: number,
): number[] {
  // IPv4 only (plain or IPv4-mapped): BEP 6 gives no rule for IPv6.
  const octets = parseIpv4(unmapIpv4(ip));
  const wanted = Math.min(count, pieceCount);
  const set: number[] = [];
  if (!octets || wanted <= 0) return set;
  // x = (ip & 0xffffff00) followed by the info hash, then x = SHA1(x) over and over,
  // each digest read as five big-endian 32-bit numbers taken modulo the piece count.
  let x: Uint8Array = new Uint8Array(24);
  x.set([octets[0], octets[1], octets[2], 0]);
  x.set(infoHash.bytes, 4);
  while (set.length < wanted) {
    x = createHash("sha1").update(x).digest();
    const view = new DataView(x.buffer, x.byteOffset, x.byteLength);
    for (let at = 0; at < 20 && set.length < wanted; at += 4) {
      const index = view.getUint32(at) % pieceCount;
      if (!set.includes(index)) set.push(index);
    }
  }
  return set;
}
