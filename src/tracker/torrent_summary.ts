import { parseMetainfo } from "../metainfo/mod.ts";

/** What the catalog keeps of a published torrent besides its bytes, ready to store. */
export interface TorrentSummary {
  readonly infoHash: string;
  readonly name: string;
  readonly totalLength: number;
  readonly fileCount: number;
  /** Every file as `{path, length}`, JSON. */
  readonly filesJson: string;
  /** The first `listed` files, JSON. */
  readonly firstFilesJson: string;
}

/**
 * Parses a .torrent for the catalog (validated with the shared parser) and
 * lays out its file list. This is the costly part of a publish (a torrent
 * of 100,000 files takes a few hundred milliseconds), so the tracker runs
 * it off its announce thread.
 *
 * @throws {MetainfoError} when the bytes are not a valid torrent.
 * @example
 * ```ts
 * const { infoHash, fileCount } = summarizeTorrent(bytes, 10);
 * ```
 */
export function summarizeTorrent(bytes: Uint8Array, listed: number): TorrentSummary {
  const torrent = parseMetainfo(bytes);
  const files = torrent.files.map((file) => ({
    path: (torrent.multiFile ? [torrent.name, ...file.path] : file.path).join("/"),
    length: file.length,
  }));
  return {
    infoHash: torrent.infoHash.hex,
    name: torrent.name,
    totalLength: torrent.totalLength,
    fileCount: files.length,
    filesJson: JSON.stringify(files),
    firstFilesJson: JSON.stringify(files.slice(0, listed)),
  };
}
