import { createHash } from "node:crypto";
import { BencodeDict, BencodeError, type BencodeValue, decode } from "../bencode/mod.ts";
import { MetainfoError } from "./errors.ts";
import { InfoHash } from "./info_hash.ts";
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
  const top = expectDict(decodeOrRefuse(document, "not a torrent"), "the torrent");
  expectDict(required(top, "info", "the torrent"), "info");
  const [infoStart, infoEnd] = top.spans.get("info")!;
  return {
    ...parseInfo(document.subarray(infoStart, infoEnd)),
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
  const info = expectDict(decodeOrRefuse(infoBytes, "not an info dictionary"), "info");
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
  const multiFile = info.has("files");
  if (multiFile && info.has("length")) {
    throw new MetainfoError("info has both length and files");
  }
  const files = multiFile ? readFiles(info) : [
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

function decodeOrRefuse(bytes: Uint8Array, what: string): BencodeValue {
  try {
    return decode(bytes);
  } catch (error) {
    if (error instanceof BencodeError) throw new MetainfoError(`${what}: ${error.message}`);
    throw error;
  }
}

function required(dict: BencodeDict, key: string, where: string): BencodeValue {
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

function optionalInteger(dict: BencodeDict, key: string, what: string): number | undefined {
  const value = dict.get(key);
  return value === undefined ? undefined : expectInteger(value, what);
}

/** Free text shown to people (comment, created by): invalid UTF-8 is replaced, not refused. */
function optionalText(dict: BencodeDict, key: string): string | undefined {
  const value = dict.get(key);
  return value === undefined ? undefined : lenientUtf8.decode(expectBytes(value, key));
}

function readLength(value: BencodeValue, what: string): number {
  const length = expectInteger(value, what);
  if (length < 0) throw new MetainfoError(`${what} is negative (${length})`);
  if (length > MAX_TOTAL_LENGTH) throw new MetainfoError(`${what} ${length} is larger than 1 PiB`);
  return length;
}

function utf8(value: BencodeValue, what: string): string {
  try {
    return strictUtf8.decode(expectBytes(value, what));
  } catch (error) {
    if (error instanceof TypeError) throw new MetainfoError(`${what} is not valid UTF-8`);
    throw error;
  }
}

/** The `.utf-8` twin of a key if present (older clients), else the key itself. */
function preferUtf8Twin(dict: BencodeDict, key: string, where: string): [BencodeValue, string] {
  const twin = `${key}.utf-8`;
  if (dict.has(twin)) return [dict.get(twin)!, `${where}.${twin}`];
  return [required(dict, key, where), `${where}.${key}`];
}

/**
 * One path component as it will be created on disk: never empty, `.` or
 * `..`, and without separators or NUL, so no path can leave its directory.
 * An empty one is refused, not renamed (libtorrent makes `["", ""]` into
 * `_/_`): a torrent that needs renaming is not laid out as its maker meant.
 */
function checkComponent(component: string, what: string): string {
  if (component === "") {
    throw new MetainfoError(`${what} is empty: every name and path component needs a name`);
  }
  if (component === "." || component === "..") {
    throw new MetainfoError(`${what} is the unsafe component "${component}"`);
  }
  if (/[/\\\0]/.test(component)) {
    throw new MetainfoError(`${what} "${component}" contains a path separator or NUL`);
  }
  return component;
}

function readName(info: BencodeDict): string {
  const [value, what] = preferUtf8Twin(info, "name", "info");
  return checkComponent(utf8(value, what), what);
}

function readFiles(info: BencodeDict): TorrentFile[] {
  const entries = expectList(info.get("files")!, "info.files");
  if (entries.length === 0) throw new MetainfoError("info.files is empty");
  const files: TorrentFile[] = [];
  const seenPaths = new Set<string>();
  let offset = 0;
  entries.forEach((entry, index) => {
    const where = `info.files[${index}]`;
    const file = expectDict(entry, where);
    const length = readLength(required(file, "length", where), `${where}.length`);
    const [pathValue, pathWhat] = preferUtf8Twin(file, "path", where);
    const components = expectList(pathValue, pathWhat);
    if (components.length === 0) throw new MetainfoError(`${pathWhat} is empty`);
    if (components.length > MAX_PATH_DEPTH) {
      throw new MetainfoError(`${pathWhat} is deeper than ${MAX_PATH_DEPTH} levels`);
    }
    const path = components.map((component, i) =>
      checkComponent(utf8(component, `${pathWhat}[${i}]`), `${pathWhat}[${i}]`)
    );
    const key = path.join("/");
    if (seenPaths.has(key)) throw new MetainfoError(`${where} repeats the path "${key}"`);
    seenPaths.add(key);
    files.push({ path, length, offset });
    offset += length;
  });
  rejectFileDirectoryClashes(files, seenPaths);
  return files;
}

/** A path that is both a file and a directory ("a" and "a/b") cannot be laid out on disk. */
function rejectFileDirectoryClashes(files: TorrentFile[], filePaths: Set<string>): void {
  for (const file of files) {
    for (let depth = 1; depth < file.path.length; depth++) {
      const directory = file.path.slice(0, depth).join("/");
      if (filePaths.has(directory)) {
        throw new MetainfoError(`"${directory}" is both a file and a directory in info.files`);
      }
    }
  }
}

function readTrackerTiers(top: BencodeDict): string[][] {
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
