import { resolve } from "node:path";
import type { Metainfo } from "../metainfo/mod.ts";
import { TorrentSession } from "../session/mod.ts";
import { type StorageMode, TorrentStorage } from "../storage/mod.ts";
import type { CliEnv } from "./env.ts";
import { formatBytes, formatCount } from "./format.ts";
import { byteProgress } from "./progress.ts";

/** A session ready to run, with what the recheck found. */
export interface PreparedSession {
  readonly session: TorrentSession;
  /** Verified pieces found on disk. */
  readonly verifiedPieces: number;
  /** Bytes of verified pieces found on disk. */
  readonly verifiedBytes: number;
}

/**
 * Opens a torrent's files below `directory` and rechecks them (with a
 * progress bar on a terminal), then builds its session. Seeding opens the
 * files for reading; downloading creates what is missing.
 *
 * @example
 * ```ts
 * const { session } = await prepareSession(env, torrent, ".", "read", { peerId, quiet });
 * ```
 */
export async function prepareSession(
  env: CliEnv,
  torrent: Metainfo,
  directory: string,
  mode: StorageMode,
  options: {
    peerId: Uint8Array;
    quiet: boolean;
    log?: (line: string) => void;
    maxUploadRate?: number;
    /** Recheck partly on this thread (quicker, lighter); not while other torrents are served. */
    inlineRecheck?: boolean;
  },
): Promise<PreparedSession> {
  const storage = await TorrentStorage.open(torrent, resolve(env.cwd, directory), mode);
  try {
    if (!options.quiet) {
      env.stderr.write(
        `Checking ${torrent.name}: ${formatBytes(torrent.totalLength)} in ${
          formatCount(torrent.pieceCount)
        } pieces...\n`,
      );
    }
    const progress = await byteProgress(env, "Checking", torrent.totalLength, options.quiet);
    const verified = await storage.recheck(
      (bytes) => progress.advance(bytes),
      options.inlineRecheck ?? true,
    ).finally(() => progress.stop());
    let verifiedPieces = 0;
    let verifiedBytes = 0;
    verified.forEach((ok, index) => {
      if (!ok) return;
      verifiedPieces++;
      verifiedBytes += Math.min(
        torrent.pieceLength,
        torrent.totalLength - index * torrent.pieceLength,
      );
    });
    const session = new TorrentSession(torrent, storage, verified, {
      peerId: options.peerId,
      log: options.log,
      maxUploadRate: options.maxUploadRate,
      onPiece: options.log &&
        ((index, from) => options.log!(`piece ${index} from ${from.join(", ")}`)),
    });
    return { session, verifiedPieces, verifiedBytes };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
