import { Command } from "commander";
import { resolve } from "node:path";
import {
  checkSelectOnly,
  type MagnetLink,
  type Metainfo,
  parseFileSelection,
  type TorrentInfo,
} from "../metainfo/mod.ts";
import type { Client, ClientTorrent } from "../client/mod.ts";
import { addTorrent, refuseNonDirectory, startClient } from "./client_setup.ts";
import type { DiscoveryOptions } from "./discovery.ts";
import { lockDownload } from "./download_lock.ts";
import type { CliEnv } from "./env.ts";
import { CommandError, Interrupted } from "./errors.ts";
import { writeFileList } from "./file_list.ts";
import { counted, formatBytes, formatCount } from "../format.ts";
import { fetchMetadata, magnetArgument, saveTorrent } from "./magnet_source.ts";
import { downloadRateOption, peerOptions } from "./options.ts";
import { integerOption } from "./value_parsers.ts";
import { readTorrentFile } from "./read_torrent.ts";
import { hasSeedLimit, seedLimitOptions, watchSeedLimits } from "./seed_limits.ts";
import { type ByteProgress, terminal, verboseLog } from "./terminal.ts";

/** Seconds without any peer (and no progress) before a download gives up. */
export const DEFAULT_STALL_TIMEOUT = 60;

/** How `get` (and `fetch`) download. */
export interface GetOptions extends DiscoveryOptions {
  dir: string;
  port: number;
  host: string;
  seed?: boolean;
  name?: string;
  maxUploadRate?: number;
  maxDownloadRate?: number;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** Where to write the .torrent of metadata fetched from peers (magnet links). */
  saveTorrent?: string;
  /** The files to download (`1,3-5`, `docs/*`; see {@link parseFileSelection}). */
  select?: string;
  /** Print the torrent's files and exit. */
  list?: boolean;
  /** Download pieces in file order (to play while downloading). */
  sequential?: boolean;
  /** Stop seeding once uploaded reaches this many times the data (implies `seed`). */
  seedRatio?: number;
  /** Stop seeding after this many seconds (implies `seed`). */
  seedTime?: number;
}

/** Which files of a torrent to download, by index from 0, once its files are known. */
export type FileChooser = (info: TorrentInfo) => readonly number[];

/** What `get` downloads: a .torrent's metainfo, or a magnet link whose metadata comes from peers. */
export type DownloadSource =
  & (
    | { readonly kind: "torrent"; readonly metainfo: Metainfo }
    | { readonly kind: "magnet"; readonly link: MagnetLink }
  )
  & {
    /** Only these files (default: all of them). */
    readonly select?: FileChooser;
  };

/**
 * `p2p get X.torrent`: downloads from many peers at once, every piece
 * SHA-1 verified, resuming whatever is already on disk.
 *
 * @example
 * ```ts
 * program.addCommand(getCommand(env));
 * ```
 */
export function getCommand(env: CliEnv): Command {
  return seedLimitOptions(downloadRateOption(peerOptions(new Command("get"), 0)))
    .description("download a torrent from many peers at once, every piece verified")
    .argument(
      "<torrent>",
      ".torrent file, the URL of one in a tracker's catalog, a magnet link or an info hash",
    )
    .option("-d, --dir <dir>", "directory to download into", ".")
    .option("--seed", "keep seeding after the download, until interrupted")
    .option(
      "--timeout <seconds>",
      "give up after this long without peers or progress",
      integerOption(1, 86400),
      DEFAULT_STALL_TIMEOUT,
    )
    .option(
      "--select <files>",
      "download only these files: numbers as info lists them (1,3-5) or path globs ('docs/*')",
    )
    .option("--list", "print the torrent's files with their numbers and sizes, and exit")
    .option("--sequential", "download pieces in file order, to play files while they download")
    .option("--json", "print a JSON summary on stdout")
    .option(
      "--save-torrent <file>",
      "for a magnet link: write the .torrent of the metadata fetched from peers",
    )
    .action((torrent: string, options: GetOptions) => get(env, torrent, options));
}

/**
 * A download's progress for people, of its selection: "downloading 42%:
 * 1.3 MiB of 3.2 MiB, 612 KiB/s, ETA 3 s, 2 peers" (`get` off a terminal,
 * and the shell's fetch and status).
 */
export function downloadProgress(session: ClientTorrent["session"]): string {
  const stats = session.stats();
  const total = session.wantedBytes ?? 0;
  const left = session.bytesLeft ?? total;
  const eta = stats.downloadRate > 0 ? `${Math.ceil(left / stats.downloadRate)} s` : "?";
  const percent = total === 0 ? 100 : Math.floor(((total - left) / total) * 100);
  return `downloading ${percent}%: ${formatBytes(total - left)} of ${formatBytes(total)}, ${
    formatBytes(stats.downloadRate)
  }/s, ETA ${eta}, ${counted(stats.peers, "peer")}`;
}

async function get(env: CliEnv, argument: string, options: GetOptions): Promise<void> {
  const link = await magnetArgument(env, argument);
  if (!link && options.saveTorrent) {
    throw new CommandError("--save-torrent is for magnet links: the .torrent is here already");
  }
  const spec = options.select;
  // --select wins over the link's own so=, as a command line wins over defaults.
  const select: FileChooser | undefined = spec !== undefined
    ? (info) => parseFileSelection(spec, info.files)
    : link?.selectOnly
    ? (info) => checkSelectOnly(link.selectOnly!, info.files)
    : undefined;
  if (link) {
    if (options.list) return await listMagnetFiles(env, link, options);
    return await download(env, { kind: "magnet", link, select }, options);
  }
  const metainfo = await readTorrentFile(env, argument);
  if (options.list) return writeFileList(env, metainfo);
  // A selection that does not fit the torrent is refused before any network.
  select?.(metainfo);
  await download(env, { kind: "torrent", metainfo, select }, options);
}

/** `get MAGNET --list`: the metadata from peers, then the files, and nothing downloaded. */
async function listMagnetFiles(env: CliEnv, link: MagnetLink, options: GetOptions): Promise<void> {
  const quiet = options.quiet === true || options.json === true;
  const say = (line: string) => quiet || terminal(env).line(line);
  const log = verboseLog(env, options.verbose, options.quiet);
  const client = await startClient(env, options, log, say);
  try {
    say(`Fetching the metadata of ${link.name ?? link.infoHash.hex} from peers`);
    const { info } = await fetchMetadata(env, client, link, {
      directory: options.dir,
      timeout: options.timeout,
      metadataOnly: true,
      log,
      stop: env.stopRequested(),
    });
    writeFileList(env, info);
  } finally {
    await client.close();
  }
}

/**
 * Downloads a torrent as `p2p get` does (shared with `p2p fetch`): recheck
 * (for a magnet link, first fetch the metadata from peers), connect,
 * download, verify, then seed with `seed`.
 *
 * @example
 * ```ts
 * await download(env, { kind: "torrent", metainfo }, { dir: ".", port: 0, host: "0.0.0.0", timeout: 60 });
 * ```
 */
export async function download(
  env: CliEnv,
  source: DownloadSource,
  options: GetOptions,
): Promise<void> {
  // --json keeps stdout for the summary and drops progress; --verbose logs still go to stderr.
  const quiet = options.quiet === true || options.json === true;
  const screen = terminal(env);
  const say = (line: string) => quiet || screen.line(line);
  const log = verboseLog(env, options.verbose, options.quiet);
  const started = performance.now();

  const identity = source.kind === "torrent"
    ? { infoHash: source.metainfo.infoHash, name: source.metainfo.name }
    : { infoHash: source.link.infoHash, name: source.link.name ?? source.link.infoHash.hex };
  const target = resolve(env.cwd, options.dir);
  await refuseNonDirectory(target, options.dir);
  const unlock = await lockDownload(target, identity.infoHash, identity.name);
  let client: Client;
  try {
    client = await startClient(env, options, log, say);
  } catch (error) {
    await unlock();
    throw error;
  }
  let added: ClientTorrent | undefined;
  let opened: TorrentInfo | undefined;
  const stop = env.stopRequested();
  let progress: ByteProgress | undefined;
  let stopStatus = () => {};
  let failed = false;
  let metadataSeconds: number | undefined;
  try {
    let held: ClientTorrent;
    if (source.kind === "torrent") {
      say(`[1/4] Checking existing data in ${options.dir}`);
      opened = source.metainfo;
      held = (await addTorrent(env, client, source.metainfo, options.dir, "write", {
        quiet,
        log,
        select: source.select,
        sequential: options.sequential,
      })).torrent;
    } else {
      const { link } = source;
      say(`[1/4] Fetching the metadata of ${link.name ?? link.infoHash.hex} from peers`);
      const fetched = await fetchMetadata(env, client, link, {
        directory: options.dir,
        timeout: options.timeout,
        select: source.select,
        sequential: options.sequential,
        log,
        stop,
      });
      held = fetched.torrent;
      opened = fetched.info;
      metadataSeconds = (performance.now() - started) / 1000;
      say(
        `      ${opened.name}: ${formatBytes(opened.totalLength)} in ${
          formatCount(opened.pieceCount)
        } pieces (metadata from peers in ${metadataSeconds.toFixed(1)} s)`,
      );
      if (options.saveTorrent) {
        await saveTorrent(env, options.saveTorrent, opened, link);
        say(`      saved its .torrent as ${options.saveTorrent}`);
      }
    }
    added = held;
    const torrent: TorrentInfo = opened;
    const { verifiedPieces, verifiedBytes } = held.session.stats();
    const session = held.session;
    // With files selected, progress counts the pieces of the selection only.
    const wanted = session.wanted!;
    const selectedFiles = source.select?.(torrent).length;
    const selectedBytes = session.wantedBytes!;
    const doneBytes = () => selectedBytes - (session.bytesLeft ?? 0);
    if (selectedFiles !== undefined) {
      say(
        `      ${counted(selectedFiles, "file")} of ${
          formatCount(torrent.files.length)
        } selected: ` +
          `${formatBytes(selectedBytes)} in ${counted(wanted.count, "piece")}`,
      );
    }
    if (verifiedPieces > 0) {
      say(
        `      ${formatCount(verifiedPieces)} of ${formatCount(torrent.pieceCount)} pieces ` +
          `(${formatBytes(verifiedBytes)}) already here and verified: fetching only the rest`,
      );
    }
    const doneBefore = doneBytes();
    const bar = await screen.bar("Downloading", selectedBytes, quiet, { already: doneBefore });
    progress = bar;
    let shownBytes = doneBefore;
    if (!session.complete) {
      say(`[2/4] Connecting to peers (listening on port ${client.port})`);
      held.findPeers();
      let lastActivity = performance.now();
      let lastDownloaded = 0;
      let lastVerified = verifiedBytes;
      let failedBeforeLastVerified = 0;
      let announcedDownloading = false;
      stopStatus = env.interactive
        ? () => {}
        : screen.status(() => downloadProgress(session), quiet);
      // Gives up after --timeout seconds in which not a byte arrived.
      const watchdog = new Promise<never>((_, reject) => {
        const timer = setInterval(() => {
          const stats = session.stats();
          if (stats.peers > 0 && !announcedDownloading) {
            announcedDownloading = true;
            say(`[3/4] Downloading from ${counted(stats.peers, "peer")}`);
          }
          bar.advance(doneBytes() - shownBytes);
          shownBytes = doneBytes();
          // Progress is verified data, or data arriving while no piece has failed since the
          // last one verified (a large piece takes a while): garbage from a corrupt peer
          // must not keep a download alive forever.
          if (stats.verifiedBytes > lastVerified) {
            lastVerified = stats.verifiedBytes;
            failedBeforeLastVerified = stats.failedPieces;
            lastActivity = performance.now();
          } else if (
            stats.downloaded > lastDownloaded && stats.failedPieces === failedBeforeLastVerified
          ) {
            lastActivity = performance.now();
          }
          lastDownloaded = stats.downloaded;
          if (session.complete || stop.aborted) clearInterval(timer);
          else if (performance.now() - lastActivity > options.timeout * 1000) {
            clearInterval(timer);
            const unreachable = held.unreachable;
            reject(
              new CommandError(
                unreachable
                  ? `tracker unreachable: ${unreachable}`
                  : stats.peers === 0
                  ? `no peers after ${options.timeout} s` +
                    (session.lastPeerTrouble ? ` (last: ${session.lastPeerTrouble})` : "")
                  : `no data for ${options.timeout} s from ${
                    counted(stats.peers, "connected peer")
                  }`,
              ),
            );
          }
        }, 200);
      });
      watchdog.catch(() => {});
      const interrupted = new Promise<never>((_, reject) =>
        stop.addEventListener(
          "abort",
          () => reject(new Interrupted(String(stop.reason))),
          {
            once: true,
          },
        )
      );
      await Promise.race([session.whenComplete(), watchdog, interrupted]);
      // Done before the first look at the peers (a small file): the step is still said.
      if (!announcedDownloading) {
        say(`[3/4] Downloaded from ${counted(session.bytesFromPeers.size, "peer")}`);
      }
    }
    // The watchdog's last look may predate the last piece: the bar ends at what is verified.
    bar.advance(doneBytes() - shownBytes);
    bar.stop();
    stopStatus();
    const seconds = (performance.now() - started) / 1000;
    const stats = session.stats();
    say(
      (selectedFiles === undefined
        ? `[4/4] Verified all ${formatCount(torrent.pieceCount)} pieces of ${torrent.name}: `
        : `[4/4] Verified the ${formatCount(wanted.count)} pieces of ${
          counted(selectedFiles, "selected file")
        } of ${torrent.name}: `) +
        `${formatBytes(stats.downloaded)} downloaded in ${seconds.toFixed(1)} s` +
        (stats.failedPieces > 0
          ? ` (${stats.failedPieces} corrupt pieces discarded and fetched again)`
          : ""),
    );
    const where = `${options.dir}/${torrent.name}`;
    if (options.json) {
      env.stdout.write(
        JSON.stringify({
          name: torrent.name,
          infoHash: torrent.infoHash.hex,
          path: where,
          totalLength: torrent.totalLength,
          selectedLength: selectedBytes,
          downloaded: stats.downloaded,
          alreadyPresent: verifiedBytes,
          seconds: Number(seconds.toFixed(3)),
          metadataSeconds: metadataSeconds === undefined
            ? undefined
            : Number(metadataSeconds.toFixed(3)),
          failedPieces: stats.failedPieces,
          peers: Object.fromEntries(
            [...session.bytesFromPeers].map(([address, bytes]) => [address, Math.round(bytes)]),
          ),
        }) + "\n",
      );
    } else {
      env.stdout.write(`${where}\n`);
    }
    if (options.seed || hasSeedLimit(options)) {
      // Complete: only reading from here on, which does not need the directory to itself.
      await unlock();
      say(
        `seeding ${torrent.name} on port ${client.port} until ${
          hasSeedLimit(options) ? "its seeding limit or " : ""
        }interrupted`,
      );
      held.findPeers();
      const limits = watchSeedLimits(held, options);
      const reason = await Promise.race([
        limits.reached,
        new Promise<undefined>((resolve) => {
          if (stop.aborted) resolve(undefined);
          stop.addEventListener("abort", () => resolve(undefined), { once: true });
        }),
      ]);
      limits.cancel();
      // The Client's close below announces `stopped`.
      if (reason) say(`stopped seeding: ${reason}`);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    progress?.stop();
    stopStatus();
    await client.close();
    await unlock();
    if (failed && !quiet && added && opened && added.session.have) {
      screen.line(
        `      kept ${formatCount(added.session.have.count)} of ${
          formatCount(opened.pieceCount)
        } verified pieces on disk; run again to resume`,
      );
    }
  }
}
