import { MetainfoError } from "./errors.ts";
import type { TorrentGeometry } from "./geometry.ts";
import type { TorrentFile } from "./types.ts";

/**
 * Reads a file selection as `get --select` takes it: comma-separated items,
 * each a file number as `p2p info` lists them (from 1), a range of them
 * (`3-5`), or a glob over the file's path inside the torrent (`docs/*`;
 * `*` and `?` stay inside one path component, `**` crosses them).
 *
 * @returns the selected files' indexes (from 0), sorted, each once.
 * @throws {MetainfoError} for an empty selection, a number out of range, or a glob that matches nothing.
 * @example
 * ```ts
 * parseFileSelection("1,3-4", torrent.files); // [0, 2, 3]
 * ```
 */
export function parseFileSelection(
  spec: string,
  files: readonly TorrentFile[],
  /** The option the selection came in, for messages. */
  flag = "--select",
): number[] {
  const items = spec.split(",").map((item) => item.trim());
  if (items.every((item) => item === "")) throw new MetainfoError(`${flag} names no file`);
  const selected = new Uint8Array(files.length);
  for (const item of items) {
    if (item === "") continue;
    const range = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(item);
    if (range) {
      const first = Number(range[1]);
      const last = range[2] === undefined ? first : Number(range[2]);
      if (last < first) {
        throw new MetainfoError(`${flag} ${item}: a range goes from the lower number up`);
      }
      if (first < 1 || last > files.length) {
        throw new MetainfoError(
          `${flag} ${item}: the torrent has ${files.length} file${
            files.length === 1 ? "" : "s"
          }, numbered 1 to ${files.length}`,
        );
      }
      selected.fill(1, first - 1, last);
      continue;
    }
    const pattern = globPattern(item);
    let matched = false;
    files.forEach((file, index) => {
      if (!pattern.test(file.path.join("/"))) return;
      selected[index] = 1;
      matched = true;
    });
    if (!matched) throw new MetainfoError(`${flag} ${item}: no file of the torrent matches`);
  }
  const indexes: number[] = [];
  selected.forEach((on, index) => on && indexes.push(index));
  return indexes;
}

/**
 * Checks a magnet link's `so` (BEP 53, indexes from 0) against the
 * torrent's files, once its metadata is known.
 *
 * @throws {MetainfoError} when an index is beyond the last file.
 */
export function checkSelectOnly(
  indexes: readonly number[],
  files: readonly TorrentFile[],
): number[] {
  const beyond = indexes.find((index) => index >= files.length);
  if (beyond !== undefined) {
    throw new MetainfoError(
      `so in the magnet link selects file ${beyond}, but the torrent has files 0 to ${
        files.length - 1
      }`,
    );
  }
  return [...indexes];
}

/** A glob as a regular expression over a whole `/`-joined path. */
function globPattern(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === "*" && glob[i + 1] === "*") {
      // `**/` also matches no directory at all, as in shells with globstar.
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i++;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/**
 * The pieces to download for a selection of files: every piece holding a
 * byte of a selected file (empty files hold none).
 *
 * @returns one byte per piece, 1 where the piece is wanted.
 * @example
 * ```ts
 * const wanted = wantedPieces(torrent, torrent.files, [true, false, true]);
 * ```
 */
export function wantedPieces(
  geometry: TorrentGeometry,
  files: readonly TorrentFile[],
  selected: readonly boolean[],
): Uint8Array {
  const wanted = new Uint8Array(geometry.pieceCount);
  files.forEach((file, index) => {
    if (!selected[index] || file.length === 0) return;
    const first = Math.floor(file.offset / geometry.pieceLength);
    const last = Math.floor((file.offset + file.length - 1) / geometry.pieceLength);
    wanted.fill(1, first, last + 1);
  });
  return wanted;
}

/**
 * A per-file mask from a list of selected indexes (from 0), or every file
 * when there is no list.
 */
export function selectionMask(fileCount: number, indexes?: readonly number[]): boolean[] {
  if (!indexes) return new Array(fileCount).fill(true);
  const mask = new Array(fileCount).fill(false);
  for (const index of indexes) mask[index] = true;
  return mask;
}
