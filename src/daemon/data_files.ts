import { dirname, join, relative, resolve, sep } from "node:path";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { PART_SUFFIX, torrentFilePaths } from "../storage/mod.ts";

/**
 * Deletes a torrent's own data below `directory`: each of its files, final
 * or `.part`, then the directories of a multi-file torrent that this left
 * empty (the download's lock file goes when the registry releases it).
 * Nothing else: a path that leads
 * through a symbolic link (which could point anywhere) is left alone, and
 * a directory still holding other files stays.
 *
 * @returns how many files were deleted.
 * @throws {StorageError} when the torrent names a path outside `directory`.
 * @example
 * ```ts
 * await deleteTorrentData(info, "/downloads");
 * ```
 */
export async function deleteTorrentData(info: TorrentInfo, directory: string): Promise<number> {
  const base = resolve(directory);
  let deleted = 0;
  const parents = new Set<string>();
  for (const path of torrentFilePaths(info, base)) {
    if (await throughLink(base, dirname(path))) continue;
    for (const candidate of [path, `${path}${PART_SUFFIX}`]) {
      const found = await Deno.lstat(candidate).catch(() => undefined);
      if (!found || found.isDirectory) continue;
      await Deno.remove(candidate);
      deleted++;
    }
    for (let parent = dirname(path); parent !== base; parent = dirname(parent)) {
      parents.add(parent);
    }
  }
  // Deepest first, each only if empty (a plain remove refuses a directory that is not).
  const deepestFirst = [...parents].sort((a, b) => b.split(sep).length - a.split(sep).length);
  for (const parent of deepestFirst) await Deno.remove(parent).catch(() => {});
  return deleted;
}

/** Whether any directory from `base` (excluded) down to `folder` is a symbolic link. */
async function throughLink(base: string, folder: string): Promise<boolean> {
  let path = base;
  for (const part of relative(base, folder).split(sep).filter((part) => part !== "")) {
    path = join(path, part);
    const found = await Deno.lstat(path).catch(() => undefined);
    if (found?.isSymlink) return true;
  }
  return false;
}
