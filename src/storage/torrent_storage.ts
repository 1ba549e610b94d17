import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pieceSize, type TorrentInfo } from "../metainfo/mod.ts";
import { describeFileError, StorageError } from "./errors.ts";
import { type FileSpan, fileSpans } from "./layout.ts";
import { PartsFile } from "./parts_file.ts";
import { verifyPieces } from "./piece_hasher.ts";
import type { PieceStore } from "./piece_store.ts";
import { SerialFile } from "./serial_file.ts";

/** How a torrent's files are opened. */
export type StorageMode = "read" | "write";

/** What a file not yet whole is called on disk: its name and this. */
export const PART_SUFFIX = ".part";

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
 *
 * When only some files are selected, only those are created; a piece that
 * also holds bytes of unselected files is kept whole in the torrent's
 * {@link PartsFile} as well, so no byte goes into a file nobody asked for.
 */
export class TorrentStorage implements PieceStore {
  readonly #handles: (SerialFile | null)[];
  readonly #selected: boolean[];
  readonly #parts: PartsFile;
  readonly #directory: string;

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
    selected: boolean[],
    parts: PartsFile,
    directory: string,
  ) {
    this.#handles = handles;
    this.#selected = selected;
    this.#parts = parts;
    this.#directory = directory;
  }

  /**
   * Opens a torrent's files below `directory`. In write mode missing
   * directories and files are created, and each file is extended (sparse) to
   * its size; existing bytes are kept, so a resumed download can recheck
   * them. `selected` (one flag per file, default all) limits that to the
   * files wanted; pieces kept in the parts file from an earlier, narrower
   * selection give their bytes to the files selected now.
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
    selected: readonly boolean[] = torrent.files.map(() => true),
  ): Promise<TorrentStorage> {
    const base = resolve(directory);
    const finalPaths = torrentFilePaths(torrent, directory);
    const paths: string[] = [];
    const handles: (SerialFile | null)[] = [];
    // Seeding serves whatever is there: every file is looked for.
    const wanted = finalPaths.map((_, index) => mode === "read" || selected[index] === true);
    let anyExisted = mode === "read";
    try {
      for (const [index, final] of finalPaths.entries()) {
        const opened = wanted[index]
          ? await openDataFile(base, final, torrent.files[index].length, mode)
          : { path: final, handle: null, existed: false };
        paths.push(opened.path);
        handles.push(opened.handle);
        if (opened.existed) anyExisted = true;
      }
    } catch (error) {
      await Promise.all(handles.map((handle) => handle?.close()));
      if (error instanceof StorageError) throw error;
      throw new StorageError(`${describeFileError(error)}: ${directory}`);
    }
    let parts: PartsFile;
    try {
      parts = await PartsFile.open(torrent, base, mode === "write");
    } catch (error) {
      await Promise.all(handles.map((handle) => handle?.close()));
      throw error;
    }
    const storage = new TorrentStorage(
      torrent,
      paths,
      mode,
      handles,
      !anyExisted && [...parts.pieces].length === 0,
      finalPaths,
      wanted,
      parts,
      base,
    );
    if (mode === "write") await storage.#giveKeptPieces(() => true);
    return storage;
  }

  /**
   * Changes which files are wanted, on an open torrent: newly selected
   * files are created (pieces in the parts file give them their bytes),
   * files no longer selected are kept as they are but written no more.
   *
   * @throws {StorageError} when a file cannot be created.
   */
  async select(selected: readonly boolean[]): Promise<void> {
    if (this.mode === "read") return;
    const added = new Set<number>();
    for (const [index, final] of this.finalPaths.entries()) {
      const want = selected[index] === true;
      if (want && !this.#handles[index]) {
        const opened = await openDataFile(
          this.#directory,
          final,
          this.torrent.files[index].length,
          "write",
        );
        this.paths[index] = opened.path;
        this.#handles[index] = opened.handle;
        added.add(index);
      }
      this.#selected[index] = want;
    }
    await this.#giveKeptPieces((file) => added.has(file));
  }

  /** Copies the bytes of pieces in the parts file into the selected files among `files`. */
  async #giveKeptPieces(files: (index: number) => boolean): Promise<void> {
    for (const index of this.#parts.pieces) {
      const piece = new Uint8Array(pieceSize(this.torrent, index));
      let loaded = false;
      for (const span of this.#spans(index, piece.length)) {
        const handle = this.#handles[span.fileIndex];
        if (!handle || !this.#selected[span.fileIndex] || !files(span.fileIndex)) continue;
        if (!loaded) await this.#parts.read(index, 0, piece);
        loaded = true;
        await this.#writeSpan(handle, span, piece.subarray(span.at, span.at + span.length));
      }
    }
  }

  /** The file spans of piece `index`, each with where it starts inside the piece. */
  #spans(index: number, length: number): (FileSpan & { at: number })[] {
    let at = 0;
    return fileSpans(this.torrent.files, index * this.torrent.pieceLength, length).map((span) => {
      const placed = { ...span, at };
      at += span.length;
      return placed;
    });
  }

  /**
   * The data is whole: each file kept as `NAME.part` takes its final name
   * (open handles stay valid, so seeding goes on). With every file selected,
   * the parts file is needed no more and is deleted.
   *
   * @throws {StorageError} when a rename fails.
   */
  async complete(): Promise<void> {
    // Seeding renames nothing: a `.part` it serves (--partial) is another download's.
    if (this.mode === "read") return;
    for (const [index, path] of this.paths.entries()) {
      const final = this.finalPaths[index];
      if (path === final || !this.#selected[index]) continue;
      try {
        await Deno.rename(path, final);
      } catch (error) {
        throw new StorageError(`cannot rename ${path} to ${final}: ${describeFileError(error)}`);
      }
      this.paths[index] = final;
    }
    if (this.#selected.every((selected) => selected)) await this.#parts.remove();
  }

  /**
   * Rechecks which pieces on disk match their hashes, on every core (the
   * calling thread among them with `inline`, blocking it meanwhile).
   * Missing or short files simply fail their pieces; files this storage
   * has just created are known to hold nothing and are not read. A piece
   * with bytes in a file not opened counts only if the parts file has it
   * and it matches.
   *
   * @example
   * ```ts
   * const verified = await storage.recheck((bytes) => bar.advance(bytes));
   * ```
   */
  async recheck(onProgress?: (bytes: number) => void, inline = false): Promise<Uint8Array> {
    if (this.createdFresh) {
      onProgress?.(this.torrent.totalLength);
      return new Uint8Array(this.torrent.pieceCount);
    }
    const files = this.torrent.files.map((file, index) => ({
      absolutePath: this.paths[index],
      offset: file.offset,
      length: file.length,
    }));
    const verified = await verifyPieces(
      { files, pieceLength: this.torrent.pieceLength },
      this.torrent.pieceHashes,
      { onProgress, inline },
    );
    // Bytes in files not opened are not ours to serve, whatever is on disk there.
    this.torrent.files.forEach((file, index) => {
      if (this.#handles[index] || file.length === 0) return;
      const first = Math.floor(file.offset / this.torrent.pieceLength);
      const last = Math.floor((file.offset + file.length - 1) / this.torrent.pieceLength);
      verified.fill(0, first, last + 1);
    });
    for (const index of this.#parts.pieces) {
      if (verified[index]) continue;
      const piece = new Uint8Array(pieceSize(this.torrent, index));
      try {
        await this.read(index * this.torrent.pieceLength, piece);
      } catch (error) {
        if (error instanceof StorageError) continue;
        throw error;
      }
      const digest = createHash("sha1").update(piece).digest();
      const expected = this.torrent.pieceHashes.subarray(index * 20, index * 20 + 20);
      if (digest.every((byte, i) => byte === expected[i])) verified[index] = 1;
    }
    return verified;
  }

  /**
   * Fills `target` with the torrent's bytes from `offset` on (counted from
   * the start of the first file), across file boundaries: from the selected
   * files, else from the parts file.
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
      const into = target.subarray(filled, filled + span.length);
      const handle = this.#handles[span.fileIndex];
      const start = offset + filled;
      if (handle && (this.#selected[span.fileIndex] || !this.#keeps(start, span.length))) {
        const bytesRead = await handle.readAt(span.fileOffset, into).catch((error) => {
          throw new StorageError(`${describeFileError(error)}: ${this.paths[span.fileIndex]}`);
        });
        if (bytesRead !== span.length) {
          throw new StorageError(`${this.paths[span.fileIndex]} is shorter than the torrent says`);
        }
      } else if (this.#keeps(start, span.length)) {
        await this.#readKept(start, into);
      } else {
        throw new StorageError(`no such file or directory: ${this.paths[span.fileIndex]}`);
      }
      filled += span.length;
    }
  }

  /** True when the parts file has every piece of the torrent's bytes `[start, start + length)`. */
  #keeps(start: number, length: number): boolean {
    const { pieceLength } = this.torrent;
    for (
      let index = Math.floor(start / pieceLength);
      index * pieceLength < start + length;
      index++
    ) {
      if (!this.#parts.has(index)) return false;
    }
    return true;
  }

  async #readKept(start: number, target: Uint8Array): Promise<void> {
    const { pieceLength } = this.torrent;
    let filled = 0;
    while (filled < target.length) {
      const position = start + filled;
      const index = Math.floor(position / pieceLength);
      const begin = position - index * pieceLength;
      const length = Math.min(target.length - filled, pieceLength - begin);
      await this.#parts.read(index, begin, target.subarray(filled, filled + length));
      filled += length;
    }
  }

  /**
   * Writes a verified piece at its offsets in the selected files, and
   * whole into the parts file when it holds bytes of other files.
   *
   * @throws {StorageError} (disk full, read-only, ...) with the path.
   */
  async writePiece(index: number, piece: Uint8Array): Promise<void> {
    let straddles = false;
    for (const span of this.#spans(index, piece.length)) {
      const handle = this.#handles[span.fileIndex];
      if (!handle || !this.#selected[span.fileIndex]) {
        straddles = true;
        continue;
      }
      await this.#writeSpan(handle, span, piece.subarray(span.at, span.at + span.length));
    }
    if (straddles) await this.#parts.append(index, piece);
  }

  async #writeSpan(handle: SerialFile, span: FileSpan, bytes: Uint8Array): Promise<void> {
    try {
      await handle.writeAt(span.fileOffset, bytes);
    } catch (error) {
      throw new StorageError(
        `cannot write ${this.paths[span.fileIndex]}: ${describeFileError(error)}`,
      );
    }
  }

  /** Flushes written data to disk. */
  async sync(): Promise<void> {
    await Promise.all([...this.#handles.map((handle) => handle?.sync()), this.#parts.sync()]);
  }

  /** Closes every file. */
  async close(): Promise<void> {
    await Promise.all([
      ...this.#handles.map((handle) => handle?.close().catch(() => {})),
      this.#parts.close(),
    ]);
  }
}

/**
 * Opens one of a torrent's files: for writing, created if missing and kept
 * as `NAME.part` (as Transmission does) until the download is whole, so a
 * failed or stopped download cannot pass for a finished file; a file
 * already there under its final name stays put. For reading, the final
 * name or the `.part`, whichever is there.
 */
async function openDataFile(
  base: string,
  final: string,
  length: number,
  mode: StorageMode,
): Promise<{ path: string; handle: SerialFile | null; existed: boolean }> {
  const path = length > 0 && !(await statIfExists(final, Deno.lstat))
    ? `${final}${PART_SUFFIX}`
    : final;
  try {
    if (mode === "write") {
      const { file, existed } = await openForWriting(base, path, length);
      return { path, handle: new SerialFile(file), existed };
    }
    const file = await openForReading(path);
    return { path, handle: file ? new SerialFile(file) : null, existed: true };
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`${describeFileError(error)}: ${path}`);
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
