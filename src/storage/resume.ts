import { join, resolve } from "node:path";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { partsFileName } from "./parts_file.ts";
import { PART_SUFFIX, torrentFilePaths } from "./torrent_storage.ts";

/** One file as it was on disk: its path, size and last change. */
export interface FileStamp {
  readonly path: string;
  readonly size: number;
  /** Milliseconds since the epoch. */
  readonly mtimeMs: number;
}

/**
 * What a stopped torrent's data looked like, for a fast resume: its
 * verified pieces, and every one of its files on disk (final or `.part`,
 * and its parts file) with its size and last change. Opening files whose
 * stamps are all the same trusts the pieces instead of hashing them again,
 * as libtorrent's and Transmission's resume data do; any file written,
 * truncated, replaced, added or removed meanwhile changes the stamps, and
 * the data is rechecked.
 */
export interface ResumeData {
  /** One byte per piece, non-zero: verified when the stamps were taken. */
  readonly verified: Uint8Array;
  readonly stamps: readonly FileStamp[];
}

/**
 * The stamps of a torrent's files below `directory` now: each file's final
 * and `.part` paths, then the parts file, those that exist, in that order.
 *
 * @example
 * ```ts
 * const resume = { verified, stamps: await dataStamps(info, "./downloads") };
 * ```
 */
export async function dataStamps(torrent: TorrentInfo, directory: string): Promise<FileStamp[]> {
  const candidates = torrentFilePaths(torrent, directory).flatMap((path) => [
    path,
    `${path}${PART_SUFFIX}`,
  ]);
  candidates.push(join(resolve(directory), partsFileName(torrent)));
  const stamps: FileStamp[] = [];
  for (const path of candidates) {
    try {
      const stat = await Deno.lstat(path);
      stamps.push({ path, size: stat.size, mtimeMs: stat.mtime?.getTime() ?? 0 });
    } catch {
      // Missing, or not ours to look at: either way not a file whose pieces can be trusted.
    }
  }
  return stamps;
}

/** True when two lists of stamps name the same files with the same sizes and times. */
export function sameStamps(a: readonly FileStamp[], b: readonly FileStamp[]): boolean {
  return a.length === b.length &&
    a.every((stamp, index) =>
      stamp.path === b[index].path && stamp.size === b[index].size &&
      stamp.mtimeMs === b[index].mtimeMs
    );
}
