import { Buffer } from "node:buffer";
import { join, resolve } from "node:path";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { Bitfield } from "../wire/mod.ts";
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

/**
 * Resume data as JSON: the verified pieces as a bitfield in base64 (an
 * eighth of a byte a piece), and the stamps as `[path, size, mtimeMs]`.
 */
export function resumeToJson({ verified, stamps }: ResumeData): unknown {
  const bits = new Bitfield(verified.length);
  verified.forEach((flag, index) => flag && bits.set(index));
  return {
    pieceCount: verified.length,
    verified: Buffer.from(bits.bytes).toString("base64"),
    stamps: stamps.map(({ path, size, mtimeMs }) => [path, size, mtimeMs]),
  };
}

/**
 * Resume data read back from {@link resumeToJson}'s JSON, or undefined for
 * anything else: it only spares a recheck, so a record that does not read
 * is dropped and the data rechecked.
 */
export function resumeFromJson(value: unknown): ResumeData | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { pieceCount, verified: encoded, stamps } = value as Record<string, unknown>;
  if (!isCount(pieceCount) || typeof encoded !== "string" || !Array.isArray(stamps)) {
    return undefined;
  }
  const bytes = new Uint8Array(Buffer.from(encoded, "base64"));
  if (bytes.length !== Math.ceil(pieceCount / 8)) return undefined;
  const read: FileStamp[] = [];
  for (const stamp of stamps) {
    if (!Array.isArray(stamp) || stamp.length !== 3) return undefined;
    const [path, size, mtimeMs] = stamp;
    if (typeof path !== "string" || !isCount(size) || !isCount(mtimeMs)) return undefined;
    read.push({ path, size, mtimeMs });
  }
  return { verified: piecesOf(new Bitfield(pieceCount, bytes)), stamps: read };
}

/** A bitfield as one byte per piece (non-zero: set), the form {@link ResumeData} keeps. */
export function piecesOf(bits: Bitfield): Uint8Array {
  const pieces = new Uint8Array(bits.size);
  for (let index = 0; index < pieces.length; index++) pieces[index] = bits.has(index) ? 1 : 0;
  return pieces;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
