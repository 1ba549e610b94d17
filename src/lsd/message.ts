import { InfoHash } from "../metainfo/mod.ts";

/** The IPv4 multicast group and port of local service discovery (BEP 14, org-local). */
export const LSD_IPV4 = { ip: "239.192.152.143", port: 6771 } as const;
/** The IPv6 multicast group and port (BEP 14, site-local). */
export const LSD_IPV6 = { ip: "ff15::efc0:988f", port: 6771 } as const;
/** Largest announce sent or read: BEP 14 keeps them under 1,400 bytes to avoid fragmentation. */
export const MAX_LSD_BYTES = 1400;
/** Info hashes in one announce, at most: with the headers they stay under {@link MAX_LSD_BYTES}. */
export const MAX_LSD_INFO_HASHES = 20;

/** What one announce says: who listens where for which torrents. */
export interface LsdAnnounce {
  /** The peer port the sender listens on (its address is the datagram's source). */
  readonly port: number;
  readonly infoHashes: readonly InfoHash[];
  /** The sender's cookie: a client ignores its own announces by it. */
  readonly cookie?: string;
}

/** An LSD datagram that is not a BEP 14 announce. */
export class LsdError extends Error {
  override name = "LsdError";
}

const CRLF = "\r\n";

/**
 * Encodes an announce (BEP 14) for the multicast group `host` (as in the
 * Host header: `239.192.152.143:6771` or `[ff15::efc0:988f]:6771`).
 *
 * @example
 * ```ts
 * const bytes = encodeLsdAnnounce("239.192.152.143:6771", { port: 6881, infoHashes: [hash], cookie: "p2p1" });
 * ```
 */
export function encodeLsdAnnounce(host: string, announce: LsdAnnounce): Uint8Array {
  const lines = [
    "BT-SEARCH * HTTP/1.1",
    `Host: ${host}`,
    `Port: ${announce.port}`,
    ...announce.infoHashes.slice(0, MAX_LSD_INFO_HASHES).map((hash) => `Infohash: ${hash.hex}`),
    ...(announce.cookie ? [`cookie: ${announce.cookie}`] : []),
  ];
  return new TextEncoder().encode(lines.join(CRLF) + CRLF + CRLF + CRLF);
}

/**
 * Reads an announce strictly: the BT-SEARCH request line, a port from 1
 * to 65535, one or more 40-digit hex info hashes (at most
 * {@link MAX_LSD_INFO_HASHES}); header names in any case, unknown headers
 * ignored, as in HTTP.
 *
 * @throws {LsdError} naming what is wrong.
 * @example
 * ```ts
 * const { port, infoHashes } = parseLsdAnnounce(datagram);
 * ```
 */
export function parseLsdAnnounce(bytes: Uint8Array): LsdAnnounce {
  if (bytes.length > MAX_LSD_BYTES) throw new LsdError(`announce of ${bytes.length} bytes`);
  const text = new TextDecoder("latin1").decode(bytes);
  const [request, ...headers] = text.split(/\r?\n/);
  if (!/^BT-SEARCH \* HTTP\/1\.[01]$/.test(request)) throw new LsdError("not a BT-SEARCH request");
  let port: number | undefined;
  let cookie: string | undefined;
  const infoHashes: InfoHash[] = [];
  for (const line of headers) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new LsdError("a header without a colon");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "port") {
      if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
        throw new LsdError(`bad port ${JSON.stringify(value.slice(0, 10))}`);
      }
      port = Number(value);
    } else if (name === "infohash") {
      if (!/^[0-9a-fA-F]{40}$/.test(value)) {
        throw new LsdError("an info hash that is not 40 hex digits");
      }
      if (infoHashes.length >= MAX_LSD_INFO_HASHES) throw new LsdError("too many info hashes");
      infoHashes.push(InfoHash.fromHex(value.toLowerCase()));
    } else if (name === "cookie") {
      cookie = value;
    }
  }
  if (port === undefined) throw new LsdError("announce without a port");
  if (infoHashes.length === 0) throw new LsdError("announce without an info hash");
  return { port, infoHashes, cookie };
}
