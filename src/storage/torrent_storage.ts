import { dirname, join, relative, resolve, sep } from "node:path";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { describeFileError, StorageError } from "./errors.ts";
import { fileSpans } from "./layout.ts";
import { verifyPieces } from "./piece_hasher.ts";
import type { PieceStore } from "./piece_store.ts";

/** How a torrent's files are opened. */
export type StorageMode = "read" | "write";

/** What a file not yet whole is called on disk: its name and this. */
export const PART_SUFFIX = ".part";

/**
 * A file whose reads and writes run one at a time, each a seek and a full
 * transfer: positional I/O without a positional API. Deno's own file calls
 * take the caller's buffer as it is (node:fs's would copy every piece).
 *
 * Reads (uploads) are asynchronous. Writes are synchronous: they land in
 * the page cache in microseconds, while an asynchronous seek and write cost
 * two trips through Deno's blocking pool, about 140 µs a piece. With 16 KiB
 * pieces that capped a download at 120 MB/s (a 256 MiB loopback download
 * took 2.4 s, now 0.9 s). A disk slower than the network blocks the thread
 * only when the kernel's dirty-page limit is reached, and then the download
 * is waiting for the disk anyway.
 */
class SerialFile {
  #tail: Promise<unknown> = Promise.resolve();

  constructor(readonly file: Deno.FsFile) {}

  #run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Reads `target.length` bytes at `offset`; resolves with the count read before end of file. */
  readAt(offset: number, target: Uint8Array): Promise<number> {
    return this.#run(async () => {
      await this.file.seek(offset, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < target.length) {
        const count = await this.file.read(target.subarray(filled));
        if (count === null) break;
        filled += count;
      }
      return filled;
    });
  }

  /** Writes all of `data` at `offset`. */
  writeAt(offset: number, data: Uint8Array): Promise<void> {
    return this.#run(() => {
      this.file.seekSync(offset, Deno.SeekMode.Start);
      let written = 0;
      while (written < data.length) written += this.file.writeSync(data.subarray(written));
      return Promise.resolve();
    });
  }

  sync(): Promise<void> {
    return this.#run(() => this.file.sync());
  }

  close(): Promise<void> {
    return this.#run(() => Promise.resolve(this.file.close()));
  }
}

/**
 * The on-disk paths of a torrent's files below `directory`: `name` for a
 * single file, `name/path...` for a directory. The parser has already
 * refused every unsafe component; this checks once more that each path
 * stays inside `directory`.
 *
 * @example
 * ```ts
 * torrentFilePaths(torrent, "/downloads"); // ["/downloads/eBook.txt"]
 * ```
 */
export function torrentFilePaths(torrent: TorrentInfo, directory: string): string[] {
  const base = resolve(directory);
  return torrent.files.map((file) => {
    const path = torrent.multiFile
      ? resolve(base, torrent.name, ...file.path)
      : resolve(base, torrent.name);
    const inside = relative(base, path);
    if (inside === "" || inside.startsWith("..") || inside.startsWith(sep)) {
      throw new StorageError(`unsafe path in torrent: ${file.path.join("/")}`);
    }
    return path;
  });
}

/**
 * A torrent's data on disk: whole pieces read and written at their offsets
 * in the final files (positional I/O, so concurrent calls never race), and
 * rechecked in parallel. Writing never follows a symbolic link inside the
 * target directory, nor goes to a file with other hard links.
 */
export class TorrentStorage implements PieceStore {
  readonly #handles: (SerialFile | null)[];

  private constructor(
    readonly torrent: TorrentInfo,
    /** Where each file is now: its final path, or its working `.part` path until complete. */
    readonly paths: string[],
    readonly mode: StorageMode,
    handles: (SerialFile | null)[],
    /** True when every file was just created: nothing on disk can verify, so no recheck is needed. */
    readonly createdFresh: boolean,
    /** The final paths, for {@link complete} to rename the working files to. */
    readonly finalPaths: readonly string[],
  ) {
    this.#handles = handles;
  }

  /**
   * Opens a torrent's files below `directory`. In write mode missing
   * directories and files are created, and each file is extended (sparse) to
   * its size; existing bytes are kept, so a resumed download can recheck
   * them.
   *
   * @throws {StorageError} with the path and the reason.
   * @example
   * ```ts
   * const storage = await TorrentStorage.open(torrent, "./downloads", "write");
   * ```
   */
  static async open(
    torrent: TorrentInfo,
    directory: string,
    mode: StorageMode,
  ): Promise<TorrentStorage> {
    const finalPaths = torrentFilePaths(torrent, directory);
    const paths: string[] = [];
    const handles: (SerialFile | null)[] = [];
    let anyExisted = mode === "read";
    try {
      for (const [index, final] of finalPaths.entries()) {
        // A file not yet whole is kept as NAME.part (as Transmission does), so a failed or
        // stopped download cannot pass for a finished file; a file already there stays put.
        const length = torrent.files[index].length;
        const path = length > 0 && !(await statIfExists(final, Deno.lstat))
          ? `${final}${PART_SUFFIX}`
          : final;
        paths.push(path);
        if (mode === "write") {
          const { file, existed } = await openForWriting(resolve(directory), path, length);
          if (existed) anyExisted = true;
          handles.push(new SerialFile(file));
        } else {
          const file = await openForReading(path);
          handles.push(file ? new SerialFile(file) : null);
        }
      }
    } catch (error) {
      await Promise.all(handles.map((handle) => handle?.close()));
      if (error instanceof StorageError) throw error;
      throw new StorageError(
        `${describeFileError(error)}: ${paths[handles.length] ?? directory}`,
      );
    }
    return new TorrentStorage(torrent, paths, mode, handles, !anyExisted, finalPaths);
  }

  /**
   * The data is whole: each file kept as `NAME.part` takes its final name
   * (open handles stay valid, so seeding goes on).
   *
   * @throws {StorageError} when a rename fails.
   */
  async complete(): Promise<void> {
    // Seeding renames nothing: a `.part` it serves (--partial) is another download's.
    if (this.mode === "read") return;
    for (const [index, path] of this.paths.entries()) {
      const final = this.finalPaths[index];
      if (path === final) continue;
      try {
        await Deno.rename(path, final);
      } catch (error) {
        throw new StorageError(`cannot rename ${path} to ${final}: ${describeFileError(error)}`);
      }
      this.paths[index] = final;
    }
  }

  /**
   * Rechecks which pieces on disk match their hashes, on every core (the
   * calling thread among them with `inline`, blocking it meanwhile).
   * Missing or short files simply fail their pieces; files this storage
   * has just created are known to hold nothing and are not read.
   *
   * @example
   * ```ts
   * const verified = await storage.recheck((bytes) => bar.advance(bytes));
   * ```
   */
  recheck(onProgress?: (bytes: number) => void, inline = false): Promise<Uint8Array> {
    if (this.createdFresh) {
      onProgress?.(this.torrent.totalLength);
      return Promise.resolve(new Uint8Array(this.torrent.pieceCount));
    }
    const files = this.torrent.files.map((file, index) => ({
      absolutePath: this.paths[index],
      offset: file.offset,
      length: file.length,
    }));
    return verifyPieces(
      { files, pieceLength: this.torrent.pieceLength },
      this.torrent.pieceHashes,
      { onProgress, inline },
    );
  }

  /**
   * Fills `target` with the torrent's bytes from `offset` on (counted from
   * the start of the first file), across file boundaries.
   *
   * @throws {StorageError} when a file is missing or shorter than the torrent says.
   * @example
   * ```ts
   * await storage.read(7 * torrent.pieceLength + 16384, new Uint8Array(16384));
   * ```
   */
  async read(offset: number, target: Uint8Array): Promise<void> {
    let filled = 0;
    for (const span of fileSpans(this.torrent.files, offset, target.length)) {
      const handle = this.#handles[span.fileIndex];
      if (!handle) {
        throw new StorageError(`no such file or directory: ${this.paths[span.fileIndex]}`);
      }
      const bytesRead = await handle.readAt(
        span.fileOffset,
        target.subarray(filled, filled + span.length),
      ).catch((error) => {
        throw new StorageError(`${describeFileError(error)}: ${this.paths[span.fileIndex]}`);
      });
      if (bytesRead !== span.length) {
        throw new StorageError(`${this.paths[span.fileIndex]} is shorter than the torrent says`);
      }
      filled += span.length;
    }
  }

  /**
   * Writes a verified piece at its offsets in the final files.
   *
   * @throws {StorageError} (disk full, read-only, ...) with the path.
   */
  async writePiece(index: number, piece: Uint8Array): Promise<void> {
    let written = 0;
    for (
      const span of fileSpans(this.torrent.files, index * this.torrent.pieceLength, piece.length)
    ) {
      try {
        await this.#handles[span.fileIndex]!.writeAt(
          span.fileOffset,
          piece.subarray(written, written + span.length),
        );
      } catch (error) {
        throw new StorageError(
          `cannot write ${this.paths[span.fileIndex]}: ${describeFileError(error)}`,
        );
      }
      written += span.length;
    }
  }

  /** Flushes written data to disk. */
  async sync(): Promise<void> {
    await Promise.all(this.#handles.map((handle) => handle?.sync()));
  }

  /** Closes every file. */
  async close(): Promise<void> {
    await Promise.all(this.#handles.map((handle) => handle?.close().catch(() => {})));
  }
}

/**
 * Opens one file for writing, created if missing and extended (sparse) to
 * `length`. Nothing is written, not even the extension, until the file is
 * known to be a regular file with no other name.
 */
async function openForWriting(
  base: string,
  path: string,
  length: number,
): Promise<{ file: Deno.FsFile; existed: boolean }> {
  await refuseSymlinks(base, path);
  await Deno.mkdir(dirname(path), { recursive: true });
  // Checked before opening: opening a FIFO can block, and a device can do anything.
  const existing = await statIfExists(path, Deno.lstat);
  if (existing) refuseUnsafeTarget(path, existing);
  const file = await Deno.open(path, { create: true, read: true, write: true });
  try {
    // And again on the open file: whatever was put at the path since is caught before any write.
    const opened = await file.stat();
    refuseUnsafeTarget(path, opened);
    if (opened.size < length) await file.truncate(length);
  } catch (error) {
    file.close();
    throw error;
  }
  return { file, existed: existing !== null };
}

/**
 * Opens one file for reading, or null when it is missing. Symbolic links are
 * followed (seeding data linked in from elsewhere is fine), but what they
 * lead to must be a regular file.
 */
async function openForReading(path: string): Promise<Deno.FsFile | null> {
  const existing = await statIfExists(path, Deno.stat);
  if (!existing) return null;
  refuseNotRegular(path, existing);
  return await Deno.open(path, { read: true }).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
}

async function statIfExists(
  path: string,
  stat: (path: string) => Promise<Deno.FileInfo>,
): Promise<Deno.FileInfo | null> {
  return await stat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
}

/** What a path is, for a message, when it is not a regular file. */
function fileKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isSymlink) return "a symbolic link";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "an unknown kind of file";
}

/** Torrent data goes to regular files only: a FIFO would block us, a device would take the data. */
function refuseNotRegular(path: string, info: Deno.FileInfo): void {
  if (!info.isFile) {
    throw new StorageError(`${path} is ${fileKind(info)}, not a regular file: refusing to use it`);
  }
}

function refuseUnsafeTarget(path: string, info: Deno.FileInfo): void {
  refuseNotRegular(path, info);
  refuseSharedFile(path, info);
}

/**
 * Refuses a file with more than one name: a hard link to a file outside the
 * download directory would be overwritten with torrent data, as a symbolic
 * link would.
 */
function refuseSharedFile(path: string, info: Deno.FileInfo): void {
  if (info.nlink !== null && info.nlink > 1) {
    throw new StorageError(
      `refusing to write through the hard link ${path} (the file has ${info.nlink} names; another may be outside the download directory)`,
    );
  }
}

/** Refuses a target whose path inside the download directory passes through a symbolic link. */
async function refuseSymlinks(base: string, path: string): Promise<void> {
  let current = base;
  for (const component of relative(base, path).split(sep)) {
    current = join(current, component);
    const info = await Deno.lstat(current).catch(() => null);
    if (!info) return;
    if (info.isSymlink) {
      throw new StorageError(`refusing to write through the symbolic link ${current}`);
    }
  }
}
