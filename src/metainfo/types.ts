/** One file of a torrent, in the order the torrent lists them. */
export interface TorrentFile {
  /** Path components below the torrent's name (a single-file torrent: `[name]`). */
  readonly path: readonly string[];
  /** Size in bytes. */
  readonly length: number;
  /** Where the file starts in the torrent's concatenated data. */
  readonly offset: number;
}

/** A validated BitTorrent v1 metainfo (BEP 3, 12, 27). */
export interface Metainfo {
  /** SHA-1 of the `info` dictionary exactly as its bytes stand in the file. */
  readonly infoHash: Uint8Array;
  /** The info hash as 40 lower-case hex digits. */
  readonly infoHashHex: string;
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
  /** Tracker tiers (BEP 12); a lone `announce` becomes one tier of one URL. */
  readonly trackerTiers: readonly (readonly string[])[];
  /** BEP 27: peers only from the trackers. */
  readonly private: boolean;
  /** Seconds since the Unix epoch. */
  readonly creationDate?: number;
  readonly createdBy?: string;
  readonly comment?: string;
  /** `info.source`, which makes the same data a distinct torrent per site. */
  readonly source?: string;
}
