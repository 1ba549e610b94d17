import { MetainfoError } from "./errors.ts";
import type { TorrentFile } from "./types.ts";

/**
 * Refuses a path listed twice, or one that is both a file and a directory
 * ("a" and "a/b"): neither can be laid out on disk. In paths sorted name by
 * name, a path's copy, or the first path inside it, is its next neighbour,
 * so sorted paths need one comparison per file. Torrent makers list files
 * sorted, so that is the common case, and it takes no memory; files out of
 * order are sorted first, as strings joined by NUL (which no name holds, and
 * which sorts before any other character, so their order is the names').
 *
 * @throws {MetainfoError} naming the path.
 */
export function refusePathConflicts(files: readonly TorrentFile[]): void {
  for (let i = 1; i < files.length; i++) {
    const relation = compare(files[i - 1].path, files[i].path);
    if (relation === SAME) throw repeated(files, files[i].path.join(SEPARATOR));
    if (relation === ENCLOSES) throw bothFileAndDirectory(files[i - 1].path.join(SEPARATOR));
    if (relation === AFTER) return refuseSorted(files);
  }
}

/** Joins a path's names into a key that sorts as the names do: no name holds a NUL. */
const SEPARATOR = "\0";

/** How path `a` compares to path `b` name by name; `a` may be a directory of `b` ("x", "x/y"). */
const ENCLOSES = -2;
const BEFORE = -1;
const SAME = 0;
const AFTER = 1;

function compare(a: readonly string[], b: readonly string[]): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? BEFORE : AFTER;
  }
  if (a.length === b.length) return SAME;
  return a.length < b.length ? ENCLOSES : AFTER;
}

function refuseSorted(files: readonly TorrentFile[]): void {
  const keys = files.map((file) => file.path.join(SEPARATOR)).sort();
  for (let i = 1; i < keys.length; i++) {
    const previous = keys[i - 1];
    const key = keys[i];
    if (key === previous) throw repeated(files, key);
    if (key.charCodeAt(previous.length) === 0 && key.startsWith(previous)) {
      throw bothFileAndDirectory(previous);
    }
  }
}

/** The error for the second file whose path is `key`. */
function repeated(files: readonly TorrentFile[], key: string): MetainfoError {
  const first = files.findIndex((file) => file.path.join(SEPARATOR) === key);
  const second = files.findIndex((file, i) => i > first && file.path.join(SEPARATOR) === key);
  return new MetainfoError(`info.files[${second}] repeats the path "${slashed(key)}"`);
}

function bothFileAndDirectory(key: string): MetainfoError {
  return new MetainfoError(`"${slashed(key)}" is both a file and a directory in info.files`);
}

function slashed(key: string): string {
  return key.replaceAll(SEPARATOR, "/");
}
