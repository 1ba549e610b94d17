import type { TorrentInfo } from "../metainfo/mod.ts";
import type { CliEnv } from "./env.ts";
import { formatBytes } from "../format.ts";

/** Lines written at a time: a torrent of 100,000 files is not one string of megabytes. */
const LINES_PER_WRITE = 1_000;

/**
 * Writes a torrent's files to stdout, one a line: the number `--select`
 * takes (from 1), the size and the path, as `info` and `get --list` show
 * them.
 *
 * @example
 * ```ts
 * writeFileList(env, torrent); // "  1    97.7 KiB  eBook.txt"
 * ```
 */
export function writeFileList(env: CliEnv, torrent: TorrentInfo): void {
  const width = String(torrent.files.length).length;
  for (let start = 0; start < torrent.files.length; start += LINES_PER_WRITE) {
    const lines = torrent.files.slice(start, start + LINES_PER_WRITE).map((file, offset) => {
      const path = torrent.multiFile ? [torrent.name, ...file.path].join("/") : file.path[0];
      const number = String(start + offset + 1).padStart(width);
      return `  ${number}  ${formatBytes(file.length).padStart(10)}  ${path}`;
    });
    env.stdout.write(lines.join("\n") + "\n");
  }
}
