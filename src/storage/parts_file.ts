import { join } from "node:path";
import { pieceSize, type TorrentInfo } from "../metainfo/mod.ts";
import { describeFileError, StorageError } from "./errors.ts";
import { SerialFile } from "./serial_file.ts";

/** The first bytes of a parts file, then a version byte, three zeros and the info hash. */
const MAGIC = new TextEncoder().encode("P2PPARTS");
const VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 4 + 20;
/** Each record: the piece index (4 bytes, big-endian), then the whole piece. */
const RECORD_HEADER_LENGTH = 4;

/**
 * The name of a torrent's partial-piece store in its download directory.
 *
 * @example
 * ```ts
 * partsFileName(torrent); // ".p2p-a3a20fc4....parts"
 * ```
 */
export function partsFileName(torrent: Pick<TorrentInfo, "infoHash">): string {
  return `.p2p-${torrent.infoHash.hex}.parts`;
}

/**
 * Whole verified pieces that hold bytes of files the user did not select:
 * those bytes must be kept somewhere (to serve the piece, and for a later
 * wider selection), and never in the unselected files. One file per torrent
 * in the download directory, appended to: a header naming the torrent, then
 * records of a piece index and the piece. A piece written twice is read
 * from its last record; a record cut short by a crash is dropped when the
 * file is next opened. The file is created at the first record.
 */
export class PartsFile {
  readonly #records: Map<number, number>;
  #file: SerialFile | undefined;
  #creating: Promise<SerialFile> | undefined;
  #end: number;

  private constructor(
    readonly torrent: TorrentInfo,
    readonly path: string,
    readonly writable: boolean,
    file: SerialFile | undefined,
    records: Map<number, number>,
    end: number,
  ) {
    this.#file = file;
    this.#records = records;
    this.#end = end;
  }

  /**
   * Opens the parts file of `torrent` in `directory`, if there is one, and
   * reads where each record is.
   *
   * @throws {StorageError} when the file belongs to another torrent or cannot be read.
   */
  static async open(
    torrent: TorrentInfo,
    directory: string,
    writable: boolean,
  ): Promise<PartsFile> {
    const path = join(directory, partsFileName(torrent));
    let opened: Deno.FsFile;
    try {
      opened = await Deno.open(path, { read: true, write: writable });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        return new PartsFile(torrent, path, writable, undefined, new Map(), 0);
      }
      throw new StorageError(`${describeFileError(error)}: ${path}`);
    }
    const file = new SerialFile(opened);
    try {
      const { records, end } = await readRecords(torrent, path, file, (await opened.stat()).size);
      if (writable && end < (await opened.stat()).size) await opened.truncate(end);
      return new PartsFile(torrent, path, writable, file, records, end);
    } catch (error) {
      await file.close();
      if (error instanceof StorageError) throw error;
      throw new StorageError(`${describeFileError(error)}: ${path}`);
    }
  }

  /** True when piece `index` is kept here. */
  has(index: number): boolean {
    return this.#records.has(index);
  }

  /** The pieces kept here. */
  get pieces(): Iterable<number> {
    return this.#records.keys();
  }

  /**
   * Fills `target` with bytes of piece `index` from `begin` on.
   *
   * @throws {StorageError} when the piece is not here or the file cannot be read.
   */
  async read(index: number, begin: number, target: Uint8Array): Promise<void> {
    const at = this.#records.get(index);
    if (at === undefined || !this.#file) {
      throw new StorageError(`piece ${index} is not in ${this.path}`);
    }
    const count = await this.#file.readAt(at + begin, target).catch((error) => {
      throw new StorageError(`${describeFileError(error)}: ${this.path}`);
    });
    if (count !== target.length) throw new StorageError(`${this.path} is cut short`);
  }

  /**
   * Keeps a whole verified piece.
   *
   * @throws {StorageError} (disk full, read-only, ...) with the path.
   */
  async append(index: number, piece: Uint8Array): Promise<void> {
    try {
      // Pieces verify concurrently: the first to come creates the file, the others wait for it.
      this.#creating ??= this.#file ? Promise.resolve(this.#file) : this.#create();
      const file = await this.#creating;
      const record = new Uint8Array(RECORD_HEADER_LENGTH + piece.length);
      new DataView(record.buffer).setUint32(0, index);
      record.set(piece, RECORD_HEADER_LENGTH);
      const at = this.#end;
      this.#end += record.length;
      await file.writeAt(at, record);
      this.#records.set(index, at + RECORD_HEADER_LENGTH);
    } catch (error) {
      throw new StorageError(`cannot write ${this.path}: ${describeFileError(error)}`);
    }
  }

  async #create(): Promise<SerialFile> {
    const created = await Deno.open(this.path, { read: true, write: true, createNew: true });
    const file = new SerialFile(created);
    this.#end = HEADER_LENGTH;
    await file.writeAt(0, header(this.torrent));
    this.#file = file;
    return file;
  }

  /** Flushes what was appended. */
  async sync(): Promise<void> {
    if (this.writable) await this.#file?.sync();
  }

  /** Closes the file and deletes it: nothing it keeps is needed any more. */
  async remove(): Promise<void> {
    await this.close();
    this.#records.clear();
    await Deno.remove(this.path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new StorageError(`cannot delete ${this.path}: ${describeFileError(error)}`);
      }
    });
  }

  async close(): Promise<void> {
    await this.#file?.close().catch(() => {});
    this.#file = undefined;
    this.#creating = undefined;
  }
}

function header(torrent: TorrentInfo): Uint8Array {
  const bytes = new Uint8Array(HEADER_LENGTH);
  bytes.set(MAGIC);
  bytes[MAGIC.length] = VERSION;
  bytes.set(torrent.infoHash.bytes, MAGIC.length + 4);
  return bytes;
}

/** Where each record's piece starts; `end` is where the last whole record ends. */
async function readRecords(
  torrent: TorrentInfo,
  path: string,
  file: SerialFile,
  size: number,
): Promise<{ records: Map<number, number>; end: number }> {
  const found = new Uint8Array(HEADER_LENGTH);
  const count = await file.readAt(0, found);
  const expected = header(torrent);
  if (count < HEADER_LENGTH || found.some((byte, i) => byte !== expected[i])) {
    throw new StorageError(
      `${path} is not p2p's partial-piece store of ${torrent.name}: move it away and run again`,
    );
  }
  const records = new Map<number, number>();
  const indexBytes = new Uint8Array(RECORD_HEADER_LENGTH);
  const view = new DataView(indexBytes.buffer);
  let at = HEADER_LENGTH;
  while (at + RECORD_HEADER_LENGTH <= size) {
    await file.readAt(at, indexBytes);
    const index = view.getUint32(0);
    if (index >= torrent.pieceCount) break;
    const next = at + RECORD_HEADER_LENGTH + pieceSize(torrent, index);
    if (next > size) break;
    records.set(index, at + RECORD_HEADER_LENGTH);
    at = next;
  }
  return { records, end: at };
}
