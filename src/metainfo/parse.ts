import { createHash } from "node:crypto";
import { BencodeDict, BencodeError, BencodeReader, type BencodeValue } from "../bencode/mod.ts";
import { MetainfoError } from "./errors.ts";
import { InfoHash } from "./info_hash.ts";
import { refusePathConflicts } from "./path_conflicts.ts";
import {
  HASH_LENGTH,
  MAX_PATH_DEPTH,
  MAX_PIECE_LENGTH,
  MAX_TOTAL_LENGTH,
  MIN_PIECE_LENGTH,
} from "./limits.ts";
import type { Metainfo, TorrentFile, TorrentInfo } from "./types.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** A dictionary's values by key, as read. */
type Fields = ReadonlyMap<string, BencodeValue>;

/**
 * An info dictionary as read: its values, but `files` already as records,
 * made one by one as the list was read (a torrent of a million files never
 * stands in memory as a million dictionaries), and its bytes as they stand.
 */
interface InfoFields {
  readonly fields: Fields;
  readonly files?: TorrentFile[];
  readonly bytes: Uint8Array;
}

/**
 * Parses and validates a .torrent file. Everything a later step relies on is
 * checked here, once: types, required keys, sizes against the piece count,
 * and file paths, which can never climb out of the download directory.
 *
 * Names and paths must be valid UTF-8; where the torrent also carries
 * `name.utf-8` / `path.utf-8` (as some older clients wrote), those win.
 *
 * @throws {MetainfoError} with a one-line reason.
 * @example
 * ```ts
 * const torrent = parseMetainfo(await Deno.readFile("x.torrent"));
 * console.log(torrent.name, torrent.infoHash.hex);
 * ```
 */
export function parseMetainfo(bytes: Uint8Array): Metainfo {
  const document = bytes.subarray(0, endBeforeTrailingWhitespace(bytes));
  const { top, info } = readDocument(document, "not a torrent", readTorrent);
  return {
    ...checkInfo(info ?? refuseInfo(top)),
    trackerTiers: readTrackerTiers(top),
    creationDate: optionalInteger(top, "creation date", "creation date"),
    createdBy: optionalText(top, "created by"),
    comment: optionalText(top, "comment"),
  };
}

/**
 * Parses and validates an info dictionary on its own, by the same rules as
 * inside a .torrent file: what a torrent started from its info hash gets
 * from its peers (BEP 9) is held to them too.
 *
 * @throws {MetainfoError} with a one-line reason.
 * @example
 * ```ts
 * const info = parseInfo(metadataBytes);
 * if (!info.infoHash.equals(expected)) throw new Error("wrong metadata");
 * ```
 */
export function parseInfo(infoBytes: Uint8Array): TorrentInfo {
  return checkInfo(readDocument(infoBytes, "not an info dictionary", (reader) => {
    if (reader.kind() !== "dictionary") expectDict(reader.value(), "info");
    return readInfo(reader, infoBytes);
  }));
}

/** Reads a whole document with `read`; malformed bencode is refused as `what`. */
function readDocument<T>(
  bytes: Uint8Array,
  what: string,
  read: (reader: BencodeReader, bytes: Uint8Array) => T,
): T {
  try {
    if (bytes.length === 0) throw new BencodeError("empty input", 0);
    const reader = new BencodeReader(bytes);
    const result = read(reader, bytes);
    reader.end();
    return result;
  } catch (error) {
    if (error instanceof BencodeError) throw new MetainfoError(`${what}: ${error.message}`);
    throw error;
  }
}

/** The top-level dictionary, with `info` read as {@link readInfo} reads it. */
function readTorrent(
  reader: BencodeReader,
  document: Uint8Array,
): { top: Fields; info?: InfoFields } {
  if (reader.kind() !== "dictionary") expectDict(reader.value(), "the torrent");
  const top = new Map<string, BencodeValue>();
  let info: InfoFields | undefined;
  reader.dictionary((key) => {
    if (key === "info" && reader.kind() === "dictionary") {
      info = readInfo(reader, document);
    } else {
      top.set(key, reader.value());
    }
  });
  return { top, info };
}

/** A torrent whose `info` was not read as a dictionary: it is missing, or something else. */
function refuseInfo(top: Fields): never {
  const value = required(top, "info", "the torrent");
  throw new MetainfoError(`info is ${typeName(value)}, not a dictionary`);
}

/** Reads the info dictionary that starts where `reader` stands in `document`. */
function readInfo(reader: BencodeReader, document: Uint8Array): InfoFields {
  const start = reader.position;
  const fields = new Map<string, BencodeValue>();
  let files: TorrentFile[] | undefined;
  reader.dictionary((key) => {
    if (key === "files") files = readFiles(reader);
    else fields.set(key, reader.value());
  });
  return { fields, files, bytes: document.subarray(start, reader.position) };
}

/** Checks an info dictionary as read: everything a session relies on. */
function checkInfo(
  { fields: info, files: listedFiles, bytes: infoBytes }: InfoFields,
): TorrentInfo {
  const infoHash = InfoHash.fromBytes(
    new Uint8Array(createHash("sha1").update(infoBytes).digest()),
  );

  const name = readName(info);
  const pieceLength = expectInteger(required(info, "piece length", "info"), "info.piece length");
  if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH) {
    throw new MetainfoError(
      `info.piece length ${pieceLength} is outside 1 KiB to 256 MiB (${MIN_PIECE_LENGTH} to ${MAX_PIECE_LENGTH} bytes)`,
    );
  }
  const pieceHashes = expectBytes(required(info, "pieces", "info"), "info.pieces");
  if (pieceHashes.length % HASH_LENGTH !== 0) {
    throw new MetainfoError(
      `info.pieces is ${pieceHashes.length} bytes, not a multiple of ${HASH_LENGTH}`,
    );
  }
  const multiFile = listedFiles !== undefined;
  if (multiFile && info.has("length")) {
    throw new MetainfoError("info has both length and files");
  }
  if (listedFiles?.length === 0) throw new MetainfoError("info.files is empty");
  const files = listedFiles ?? [
    {
      path: [name],
      length: readLength(required(info, "length", "info"), "info.length"),
      offset: 0,
    },
  ];
  const last = files[files.length - 1];
  const totalLength = last.offset + last.length;
  if (totalLength === 0) {
    throw new MetainfoError("the total size is 0 bytes: a torrent must have data to share");
  }
  if (totalLength > MAX_TOTAL_LENGTH) {
    throw new MetainfoError(`total size ${totalLength} bytes is larger than 1 PiB`);
  }
  const pieceCount = pieceHashes.length / HASH_LENGTH;
  const expectedPieces = Math.ceil(totalLength / pieceLength);
  if (pieceCount !== expectedPieces) {
    throw new MetainfoError(
      `info.pieces holds ${pieceCount} hashes but ${totalLength} bytes in pieces of ${pieceLength} need ${expectedPieces}`,
    );
  }
  return {
    infoHash,
    infoBytes,
    name,
    multiFile,
    files,
    totalLength,
    pieceLength,
    pieceCount,
    pieceHashes,
    private: optionalInteger(info, "private", "info.private") === 1,
    source: optionalText(info, "source"),
  };
}

/** Bytes that may follow a .torrent's value, as libtorrent allows: a text editor's newline. */
const TRAILING_WHITESPACE = new Set([0x0a, 0x0d, 0x20, 0x09]); // \n \r space tab

/** Where a .torrent's bytes end once trailing whitespace is left off. */
function endBeforeTrailingWhitespace(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && TRAILING_WHITESPACE.has(bytes[end - 1])) end--;
  return end;
}

function required(dict: Fields, key: string, where: string): BencodeValue {
  const value = dict.get(key);
  if (value === undefined) throw new MetainfoError(`${where} has no "${key}"`);
  return value;
}

function typeName(value: BencodeValue): string {
  if (typeof value === "number") return "an integer";
  if (value instanceof Uint8Array) return "a string";
  if (Array.isArray(value)) return "a list";
  return "a dictionary";
}

function expectDict(value: BencodeValue, what: string): BencodeDict {
  if (value instanceof BencodeDict) return value;
  throw new MetainfoError(`${what} is ${typeName(value)}, not a dictionary`);
}

function expectList(value: BencodeValue, what: string): BencodeValue[] {
  if (Array.isArray(value)) return value;
  throw new MetainfoError(`${what} is ${typeName(value)}, not a list`);
}

function expectBytes(value: BencodeValue, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new MetainfoError(`${what} is ${typeName(value)}, not a string`);
}

function expectInteger(value: BencodeValue, what: string): number {
  if (typeof value === "number") return value;
  throw new MetainfoError(`${what} is ${typeName(value)}, not an integer`);
}

function optionalInteger(dict: Fields, key: string, what: string): number | undefined {
  const value = dict.get(key);
  return value === undefined ? undefined : expectInteger(value, what);
}

/** Free text shown to people (comment, created by): invalid UTF-8 is replaced, not refused. */
function optionalText(dict: Fields, key: string): string | undefined {
  const value = dict.get(key);
  return value === undefined ? undefined : lenientUtf8.decode(expectBytes(value, key));
}

function readLength(value: BencodeValue, what: string): number {
  const length = expectInteger(value, what);
  if (length < 0) throw new MetainfoError(`${what} is negative (${length})`);
  if (length > MAX_TOTAL_LENGTH) throw new MetainfoError(`${what} ${length} is larger than 1 PiB`);
  return length;
}

/**
 * Longest text turned into a string by hand when it is ASCII (which is its
 * own UTF-8): names and path components are short and mostly ASCII, and a
 * TextDecoder call is a trip into the runtime that costs more than the scan
 * of a short name, a million times over in a torrent of a million files.
 */
const MAX_HAND_DECODED = 256;

function utf8(value: BencodeValue, what: string): string {
  const ascii = asciiText(value);
  if (ascii !== undefined) return ascii;
  try {
    return strictUtf8.decode(expectBytes(value, what));
  } catch (error) {
    if (error instanceof TypeError) throw new MetainfoError(`${what} is not valid UTF-8`);
    throw error;
  }
}

/** A short ASCII string's text (ASCII is its own UTF-8), or undefined for anything else. */
function asciiText(value: BencodeValue): string | undefined {
  if (!(value instanceof Uint8Array) || value.length > MAX_HAND_DECODED) return undefined;
  for (let i = 0; i < value.length; i++) if (value[i] >= 0x80) return undefined;
  return String.fromCharCode.apply(null, value as unknown as number[]);
}

/** The `.utf-8` twin of a key if present (older clients), else the key itself. */
function preferUtf8Twin(dict: Fields, key: string, where: string): [BencodeValue, string] {
  const twin = `${key}.utf-8`;
  if (dict.has(twin)) return [dict.get(twin)!, `${where}.${twin}`];
  return [required(dict, key, where), `${where}.${key}`];
}

/**
 * What is wrong with a path component as it would be created on disk, if
 * anything: it must not be empty, `.` or `..`, nor hold a separator or NUL,
 * so no path can leave its directory. An empty one is refused, not renamed
 * (libtorrent makes `["", ""]` into `_/_`): a torrent that needs renaming
 * is not laid out as its maker meant.
 */
function componentProblem(component: string): string | undefined {
  if (component === "") return "is empty: every name and path component needs a name";
  if (component === "." || component === "..") return `is the unsafe component "${component}"`;
  if (/[/\\\0]/.test(component)) return `"${component}" contains a path separator or NUL`;
  return undefined;
}

function readName(info: Fields): string {
  const [value, what] = preferUtf8Twin(info, "name", "info");
  const name = utf8(value, what);
  const problem = componentProblem(name);
  if (problem) throw new MetainfoError(`${what} ${problem}`);
  return name;
}

/** `info.files`, each entry made into its record as soon as it is read. */
function readFiles(reader: BencodeReader): TorrentFile[] {
  if (reader.kind() !== "list") expectList(reader.value(), "info.files");
  const files: TorrentFile[] = [];
  let offset = 0;
  reader.list((index) => {
    const file = readFileEntry(reader, index, offset);
    files.push(file);
    offset += file.length;
  });
  refusePathConflicts(files);
  return files;
}

/**
 * One entry of `info.files`, read key by key: only `length` and the path are
 * kept (no dictionary of the entry is made), and the entry's name for a
 * message is made only for a message.
 */
function readFileEntry(reader: BencodeReader, index: number, offset: number): TorrentFile {
  const where = () => `info.files[${index}]`;
  if (reader.kind() !== "dictionary") expectDict(reader.value(), where());
  let length: BencodeValue | undefined;
  let components: BencodeValue | undefined;
  let pathKey = "path";
  reader.dictionary((key) => {
    const value = reader.value();
    if (key === "length") {
      length = value;
    } else if (key === "path.utf-8" || (key === "path" && pathKey === "path")) {
      components = value; // the `.utf-8` twin wins, as in preferUtf8Twin
      pathKey = key;
    }
  });
  if (length === undefined) throw new MetainfoError(`${where()} has no "length"`);
  if (typeof length !== "number" || length < 0 || length > MAX_TOTAL_LENGTH) {
    readLength(length, `${where()}.length`); // throws, with the reason
  }
  if (components === undefined) throw new MetainfoError(`${where()} has no "path"`);
  const pathWhat = () => `${where()}.${pathKey}`;
  if (!Array.isArray(components)) expectList(components, pathWhat());
  const list = components as BencodeValue[];
  if (list.length === 0) throw new MetainfoError(`${pathWhat()} is empty`);
  if (list.length > MAX_PATH_DEPTH) {
    throw new MetainfoError(`${pathWhat()} is deeper than ${MAX_PATH_DEPTH} levels`);
  }
  const path = list.map((component, i) => {
    // utf8() alone would make the component's name for a message it will not need.
    const name = asciiText(component) ?? utf8(component, `${pathWhat()}[${i}]`);
    const problem = componentProblem(name);
    if (problem) throw new MetainfoError(`${pathWhat()}[${i}] ${problem}`);
    return name;
  });
  return { path, length: length as number, offset };
}

function readTrackerTiers(top: Fields): string[][] {
  const announceList = top.get("announce-list");
  if (announceList !== undefined) {
    const tiers = expectList(announceList, "announce-list").map((tier, i) =>
      expectList(tier, `announce-list[${i}]`).map((url, j) =>
        utf8(url, `announce-list[${i}][${j}]`)
      ).filter((url) => url !== "")
    ).filter((tier) => tier.length > 0);
    if (tiers.length > 0) return tiers;
  }
  const announce = top.get("announce");
  if (announce === undefined) return [];
  const url = utf8(announce, "announce");
  return url === "" ? [] : [[url]];
}
