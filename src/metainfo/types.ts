import type { InfoHash } from "./info_hash.ts";

/** One file of a torrent, in the order the torrent lists them. */
export interface TorrentFile {
  /** Path components below the torrent's name (a single-file torrent: `[name]`). */
  readonly path: readonly string[];
  /** Size in bytes. */
  readonly length: number;
  /** Where the file starts in the torrent's concatenated data. */
  readonly offset: number;
}

/**
 * A validated info dictionary (BEP 3, 27): everything a session needs to
 * move and verify data. A torrent started from its info hash alone gets
 * one when the metadata arrives.
 */
export interface TorrentInfo {
  /** SHA-1 of the `info` dictionary exactly as its bytes stand. */
  readonly infoHash: InfoHash;
  /** The raw bytes of the `info` dictionary. */
  readonly infoBytes: Uint8Array;
  /** Suggested name of the file (single-file) or top directory (multi-file). */
  readonly name: string;
  /** True for a torrent with a `files` list (BEP 3 multi-file mode). */
  readonly multiFile: boolean;
  readonly files: readonly TorrentFile[];
  readonly totalLength: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** The concatenated 20-byte SHA-1 of every piece. */
  readonly pieceHashes: Uint8Array;
  /** BEP 27: peers only from the trackers. */
  readonly private: boolean;
  /** `info.source`, which makes the same data a distinct torrent per site. */
  readonly source?: string;
}

/** A validated BitTorrent v1 .torrent file (BEP 3, 12, 27): the info dictionary and what surrounds it. */
export interface Metainfo extends TorrentInfo {
  /** Tracker tiers (BEP 12); a lone `announce` becomes one tier of one URL. */
  readonly trackerTiers: readonly (readonly string[])[];
  /** Seconds since the Unix epoch. */
  readonly creationDate?: number;
  readonly createdBy?: string;
  readonly comment?: string;
}
