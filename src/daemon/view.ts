/** What a torrent is doing, as the list shows it. */
export type TorrentState =
  | "fetching metadata"
  | "checking"
  | "downloading"
  | "seeding"
  | "paused"
  | "error";

/** What the registry knows of a torrent at one moment: the input of {@link describeTorrent}. */
export interface TorrentSnapshot {
  readonly infoHash: string;
  /** Its name, or undefined while the metadata is unknown (a magnet link without `dn`). */
  readonly name: string | undefined;
  readonly directory: string;
  readonly addedAt: number;
  readonly source: "torrent" | "magnet";
  readonly phase: "metadata" | "checking" | "running" | "stopped" | "error";
  readonly paused: boolean;
  readonly error?: string;
  /** Total size; undefined while the metadata is unknown. */
  readonly size: number | undefined;
  /** Bytes of the pieces its file selection needs, when only some files are selected. */
  readonly selectedSize?: number;
  /** Bytes of those pieces not yet verified, while running. */
  readonly left?: number;
  readonly pieceCount: number;
  readonly verifiedPieces: number;
  readonly verifiedBytes: number;
  /** Bytes rechecked so far, while checking. */
  readonly checkedBytes: number;
  /** Every wanted piece verified and the files under their final names (no `.part` left). */
  readonly complete: boolean;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly peers: number;
  /** Connected peers that have every piece. */
  readonly seeders: number;
}

/** A torrent as the API serves it and the page lists it. */
export interface TorrentView {
  readonly infoHash: string;
  readonly name: string;
  readonly directory: string;
  readonly addedAt: number;
  readonly source: "torrent" | "magnet";
  readonly state: TorrentState;
  /** Why it stopped, in state `error`. */
  readonly error?: string;
  readonly size: number | null;
  /** Bytes its file selection needs; null when every file is selected. */
  readonly selectedSize: number | null;
  readonly pieceCount: number;
  readonly verifiedPieces: number;
  readonly verifiedBytes: number;
  /** Verified share, 0 to 1 (of the recheck's bytes while checking). */
  readonly progress: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly peers: number;
  /** Connected seeders and leechers: what this daemon can know without asking a tracker. */
  readonly seeders: number;
  readonly leechers: number;
  /** Seconds to completion at the current rate; null when unknown or not downloading. */
  readonly eta: number | null;
}

/**
 * A torrent's view from a snapshot: its state, progress and ETA.
 *
 * @example
 * ```ts
 * describeTorrent(snapshot).state; // "downloading"
 * ```
 */
export function describeTorrent(snapshot: TorrentSnapshot): TorrentView {
  const state = stateOf(snapshot);
  const size = snapshot.size ?? null;
  // Progress and ETA are of what was selected: a torrent of which one file is wanted is done
  // when that file is.
  const wanted = snapshot.selectedSize ?? size;
  const left = wanted === null ? 0 : snapshot.left ?? Math.max(0, wanted - snapshot.verifiedBytes);
  const progress = wanted === null || wanted === 0
    ? (state === "seeding" ? 1 : 0)
    : state === "checking"
    ? snapshot.checkedBytes / (size ?? wanted)
    : (wanted - left) / wanted;
  return {
    infoHash: snapshot.infoHash,
    name: snapshot.name ?? snapshot.infoHash,
    directory: snapshot.directory,
    addedAt: snapshot.addedAt,
    source: snapshot.source,
    state,
    error: state === "error" ? snapshot.error : undefined,
    size,
    selectedSize: snapshot.selectedSize ?? null,
    pieceCount: snapshot.pieceCount,
    verifiedPieces: snapshot.verifiedPieces,
    verifiedBytes: snapshot.verifiedBytes,
    progress: Math.min(1, progress),
    downloaded: snapshot.downloaded,
    uploaded: snapshot.uploaded,
    // A seeding torrent downloads nothing: the rate of its last pieces would only mislead.
    downloadRate: state === "seeding" ? 0 : snapshot.downloadRate,
    uploadRate: snapshot.uploadRate,
    peers: snapshot.peers,
    seeders: snapshot.seeders,
    leechers: snapshot.peers - snapshot.seeders,
    eta: state === "downloading" && snapshot.downloadRate > 0
      ? Math.ceil(left / snapshot.downloadRate)
      : null,
  };
}

function stateOf(snapshot: TorrentSnapshot): TorrentState {
  if (snapshot.phase === "error") return "error";
  if (snapshot.paused) return "paused";
  if (snapshot.phase === "metadata") return "fetching metadata";
  if (snapshot.phase === "checking") return "checking";
  return snapshot.complete ? "seeding" : "downloading";
}
