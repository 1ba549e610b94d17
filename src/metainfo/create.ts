import { type EncodableValue, encode } from "../bencode/mod.ts";

/** A file to list in a new torrent. */
export interface NewTorrentFile {
  /** Path components below the torrent's name. */
  readonly path: readonly string[];
  readonly length: number;
}

/** Everything a new torrent says; hashes come from hashing the data first. */
export interface NewTorrent {
  readonly name: string;
  /** One file (`length` in info) or a directory (`files` in info). */
  readonly layout:
    | { readonly kind: "single"; readonly length: number }
    | { readonly kind: "multi"; readonly files: readonly NewTorrentFile[] };
  readonly pieceLength: number;
  /** The concatenated 20-byte SHA-1 of every piece. */
  readonly pieceHashes: Uint8Array;
  /** Tracker URLs; the first is `announce`, each becomes its own BEP 12 tier. */
  readonly trackers?: readonly string[];
  readonly private?: boolean;
  readonly comment?: string;
  readonly source?: string;
  readonly createdBy?: string;
  /** Seconds since the Unix epoch; leave it out for reproducible output. */
  readonly creationDate?: number;
}

/**
 * Encodes a new BEP 3 metainfo. The info dictionary holds only what BEP 3
 * and BEP 27 define (plus `source` when asked), so the same data, name and
 * piece length give mktorrent's and libtorrent's info hash.
 *
 * @example
 * ```ts
 * const bytes = createMetainfo({
 *   name: "a.txt",
 *   layout: { kind: "single", length: 5 },
 *   pieceLength: 16384,
 *   pieceHashes: hashes,
 *   trackers: ["http://127.0.0.1:6969/announce"],
 * });
 * ```
 */
export function createMetainfo(torrent: NewTorrent): Uint8Array {
  const info: Record<string, EncodableValue | undefined> = {
    name: torrent.name,
    "piece length": torrent.pieceLength,
    pieces: torrent.pieceHashes,
    private: torrent.private ? 1 : undefined,
    source: torrent.source,
  };
  if (torrent.layout.kind === "single") {
    info.length = torrent.layout.length;
  } else {
    info.files = torrent.layout.files.map((file) => ({
      length: file.length,
      path: [...file.path],
    }));
  }
  const trackers = torrent.trackers ?? [];
  return encode({
    announce: trackers[0],
    "announce-list": trackers.length > 1 ? trackers.map((url) => [url]) : undefined,
    comment: torrent.comment,
    "created by": torrent.createdBy,
    "creation date": torrent.creationDate,
    info,
  });
}

/**
 * A .torrent around an info dictionary fetched from peers (BEP 9): the
 * dictionary's bytes go in verbatim, so the info hash is theirs, with the
 * trackers of the magnet link as BEP 12 tiers.
 *
 * @example
 * ```ts
 * await Deno.writeFile("x.torrent", metainfoAround(info.infoBytes, link.trackerTiers, "p2p/0.1.0"));
 * ```
 */
export function metainfoAround(
  infoBytes: Uint8Array,
  trackerTiers: readonly (readonly string[])[],
  createdBy?: string,
): Uint8Array {
  // Every other key sorts before "info": encoded first, the dictionary left open.
  const head = encode({
    announce: trackerTiers[0]?.[0],
    "announce-list": trackerTiers.length > 0 ? trackerTiers.map((tier) => [...tier]) : undefined,
    "created by": createdBy,
  });
  const key = new TextEncoder().encode("4:info");
  const bytes = new Uint8Array(head.length - 1 + key.length + infoBytes.length + 1);
  bytes.set(head.subarray(0, -1));
  bytes.set(key, head.length - 1);
  bytes.set(infoBytes, head.length - 1 + key.length);
  bytes[bytes.length - 1] = 0x65; // "e"
  return bytes;
}
