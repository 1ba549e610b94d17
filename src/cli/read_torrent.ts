import { resolve } from "node:path";
import { type Metainfo, MetainfoError, parseMetainfo } from "../metainfo/mod.ts";
import { describeFetchFailure, readAtMost, TrackerError } from "../tracker/mod.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";

/** Largest .torrent file read: 64 MiB, far beyond any real one, so garbage cannot fill memory. */
export const MAX_TORRENT_FILE_SIZE = 64 * 1024 * 1024;

/**
 * Reads and validates a .torrent named on the command line: a file, `-`
 * (or `/dev/stdin`) for standard input, as other tools take it, or an
 * http(s) URL (a tracker catalog's `/torrents/<hash>.torrent`). Every
 * command that takes a torrent goes through here.
 *
 * @throws {CommandError} when the file cannot be read; {@link TrackerError} when the URL cannot be
 * fetched; {@link MetainfoError} when it is malformed.
 * @example
 * ```ts
 * const torrent = await readTorrentFile(env, "x.torrent");
 * ```
 */
export async function readTorrentFile(env: CliEnv, path: string): Promise<Metainfo> {
  // Deno asks for every permission to open a device, /dev/stdin included: it is read as "-".
  if (path === "-" || path === "/dev/stdin") return await readStandardInput();
  if (/^https?:\/\//i.test(path)) return await fetchTorrent(path);
  const absolutePath = resolve(env.cwd, path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(absolutePath, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new CommandError(`no such file: ${path}`);
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new CommandError(`permission denied: ${path}`);
    }
    throw error;
  }
  try {
    const info = await file.stat();
    if (!info.isFile) throw new CommandError(`not a file: ${path}`);
    if (info.size > MAX_TORRENT_FILE_SIZE) {
      throw new CommandError(`${path} is ${info.size} bytes: too large for a .torrent`);
    }
    // Read into one buffer of the file's size: a stream would allocate 64 KiB per read,
    // which a seed of 1,000 torrents keeps paying for long after.
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const count = await file.read(bytes.subarray(filled));
      if (count === null) break;
      filled += count;
    }
    return parseMetainfo(bytes.subarray(0, filled));
  } catch (error) {
    if (error instanceof Error && error.name === "MetainfoError") {
      error.message = `${path}: ${error.message}`;
    }
    throw error;
  } finally {
    file.close();
  }
}

/** The .torrent piped in (`p2p info -`), read with the same cap as a file. */
async function readStandardInput(): Promise<Metainfo> {
  let bytes: Uint8Array;
  try {
    bytes = await readAtMost(Deno.stdin.readable, MAX_TORRENT_FILE_SIZE);
  } catch (error) {
    if (error instanceof TrackerError) {
      throw new CommandError("standard input is too large for a .torrent");
    }
    throw error;
  }
  try {
    return parseMetainfo(bytes);
  } catch (error) {
    if (error instanceof Error && error.name === "MetainfoError") {
      error.message = `standard input: ${error.message}`;
    }
    throw error;
  }
}

/** A .torrent from an http(s) URL, read with the same cap as a file. */
async function fetchTorrent(source: string): Promise<Metainfo> {
  let response: Response;
  try {
    response = await fetch(source, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new TrackerError(`cannot fetch ${source}: ${describeFetchFailure(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new TrackerError(`cannot fetch ${source}: HTTP ${response.status}`);
  }
  // Read with a cap: a hostile URL must not stream gigabytes into memory first.
  const bytes = await readAtMost(response.body, MAX_TORRENT_FILE_SIZE).catch((error) => {
    if (error instanceof TrackerError) {
      throw new CommandError(`${source} is too large for a .torrent`);
    }
    throw error;
  });
  try {
    return parseMetainfo(bytes);
  } catch (error) {
    if (error instanceof MetainfoError) throw new MetainfoError(`${source}: ${error.message}`);
    throw error;
  }
}
