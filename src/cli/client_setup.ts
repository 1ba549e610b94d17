import { resolve } from "node:path";
import {
  Client,
  type ClientTorrent,
  type EncryptionPolicy,
  lsdSource,
  trackerSource,
} from "../client/mod.ts";
import { LocalDiscovery } from "../lsd/mod.ts";
import type { Metainfo, TorrentInfo } from "../metainfo/mod.ts";
import type { StorageMode } from "../storage/mod.ts";
import { dhtSettings, type DiscoveryOptions, lsdEnabled } from "./discovery.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { loadResumeFile, saveResumeFile } from "./resume_file.ts";
import { counted, formatBytes } from "../format.ts";
import { terminal } from "./terminal.ts";
import { VERSION } from "./version.ts";

/** The swarm options every command that joins a swarm takes (see `peerOptions`). */
export interface SwarmOptions extends DiscoveryOptions {
  readonly port: number;
  readonly host: string;
  readonly name?: string;
  readonly maxUploadRate?: number;
  /** Only for the commands that download (`downloadRateOption`). */
  readonly maxDownloadRate?: number;
  readonly encryption?: EncryptionPolicy;
  /** False: no uTP (`--no-utp`). */
  readonly utp?: boolean;
  /** False: uTP only (`--no-tcp`). */
  readonly tcp?: boolean;
}

/**
 * The process's Client for a command's swarm options: listening, announcing
 * under our name, with the upload limit shared by all its torrents, and
 * the DHT node and local service discovery unless the options or the
 * environment turn them off.
 *
 * @throws {TransportError} when the port is taken.
 * @example
 * ```ts
 * const client = await startClient(env, options, log, say);
 * ```
 */
export async function startClient(
  env: CliEnv,
  options: SwarmOptions,
  log: ((line: string) => void) | undefined,
  say: (line: string) => void,
): Promise<Client> {
  return Client.listen({
    host: options.host,
    port: options.port,
    clientName: `p2p/${VERSION}`,
    maxUploadRate: options.maxUploadRate,
    maxDownloadRate: options.maxDownloadRate,
    encryption: options.encryption,
    utp: options.utp,
    tcp: options.tcp,
    peerSources: [
      trackerSource({ name: options.name, log: say }),
      ...(lsdEnabled(env, options) ? [lsdSource(new LocalDiscovery({ log: log ?? say }))] : []),
    ],
    dht: await dhtSettings(env, options, say, log),
    log,
  });
}

/** A torrent added, with what its recheck found. */
export interface AddedTorrent {
  readonly torrent: ClientTorrent;
  /** Verified pieces found on disk. */
  readonly verifiedPieces: number;
  /** Bytes of verified pieces found on disk. */
  readonly verifiedBytes: number;
}

/**
 * Adds a torrent to the Client: its files below `directory` are opened and
 * rechecked (with a progress bar on a terminal). Seeding opens the files for
 * reading; downloading creates what is missing.
 *
 * @example
 * ```ts
 * const { torrent } = await addTorrent(env, client, metainfo, ".", "read", { quiet });
 * ```
 */
export async function addTorrent(
  env: CliEnv,
  client: Client,
  metainfo: Metainfo,
  directory: string,
  mode: StorageMode,
  options: {
    quiet: boolean;
    /** Recheck partly on this thread (quicker, lighter); not while other torrents are served. */
    inlineRecheck?: boolean;
    /** Log each verified piece with the peers that sent it. */
    log?: (line: string) => void;
    /** The files to download, by index from 0 (default: all). */
    select?: (info: TorrentInfo) => readonly number[];
    /** Download pieces in order, to play while downloading. */
    sequential?: boolean;
    /**
     * Seeding: the data directory where what the recheck found is kept, so
     * that the next seed of unchanged files skips it (see `resume_file.ts`).
     */
    resumeIn?: string;
  },
): Promise<AddedTorrent> {
  await refuseNonDirectory(resolve(env.cwd, directory), directory);
  if (!options.quiet) {
    terminal(env).line(
      `Checking ${metainfo.name}: ${formatBytes(metainfo.totalLength)} in ${
        counted(metainfo.pieceCount, "piece")
      }...`,
    );
  }
  const progress = await terminal(env).bar("Checking", metainfo.totalLength, options.quiet, {
    clearOnStop: true,
  });
  const log = options.log;
  const { resumeIn } = options;
  const resume = resumeIn && mode === "read"
    ? await loadResumeFile(resumeIn, metainfo.infoHash)
    : undefined;
  const torrent = await client.add(metainfo, {
    directory: resolve(env.cwd, directory),
    mode,
    onCheckProgress: (bytes) => progress.advance(bytes),
    inlineRecheck: options.inlineRecheck ?? true,
    select: options.select,
    sequential: options.sequential,
    resume,
    onPiece: log && ((index, from) => log(`piece ${index} from ${from.join(", ")}`)),
  }).finally(() => progress.stop());
  if (resumeIn && torrent.resumeData) {
    await saveResumeFile(resumeIn, metainfo.infoHash, torrent.resumeData).catch((error) =>
      log?.(`cannot keep what the check found: ${error instanceof Error ? error.message : error}`)
    );
  }
  const stats = torrent.session.stats();
  return { torrent, verifiedPieces: stats.verifiedPieces, verifiedBytes: stats.verifiedBytes };
}

/**
 * Refuses a `-d` that names a file: one line saying so, not the system's
 * "File exists" from mkdir.
 *
 * @throws {CommandError} when `path` exists and is not a directory.
 */
export async function refuseNonDirectory(path: string, given: string): Promise<void> {
  const found = await Deno.stat(path).catch(() => undefined);
  if (found && !found.isDirectory) throw new CommandError(`${given} is not a directory`);
}
