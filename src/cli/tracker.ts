import { Command, InvalidArgumentError, Option } from "commander";
import { join, resolve } from "node:path";
import {
  Catalog,
  DEFAULT_INTERVAL,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_SWARMS,
  DEFAULT_MAX_TORRENT_BYTES,
  DEFAULT_SAVE_INTERVAL,
  RESERVED_DESCRIPTORS,
  startTracker,
  SWARM_FILE_NAME,
} from "../tracker/mod.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { integerOption } from "./value_parsers.ts";

interface TrackerCommandOptions {
  host: string;
  port: number;
  data: string;
  interval: number;
  closed?: boolean;
  publishToken?: string;
  trustProxy?: boolean;
  maxSwarms: number;
  maxPeers: number;
  maxTorrentSize: number;
  maxConnections?: number;
  saveInterval: number;
  udpPort?: number;
  /** False with --no-udp. */
  udp: boolean;
  quiet?: boolean;
  /** One JSON line on stdout once listening, instead of the "listening on" lines. */
  json?: boolean;
}

/** Largest value the caps take: far beyond what memory holds, just a sanity bound. */
const MAX_CAP = 1_000_000_000;
/** Bounds of --max-torrent-size: no torrent is under 1 KiB; a publish is held in memory whole. */
const TORRENT_SIZE_RANGE = [1024, 256 * 1024 * 1024];

/** A commander option parser for sizes: `4M`, `512K`, `4MiB`, `1048576` (bytes). */
function sizeOption(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(text.trim());
  const factor = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match?.[2].toUpperCase() ?? ""]!;
  const value = match ? Math.round(Number(match[1]) * factor) : NaN;
  const [min, max] = TORRENT_SIZE_RANGE;
  if (!(value >= min && value <= max)) {
    throw new InvalidArgumentError("must be a size from 1K to 256M, such as 512K or 4M");
  }
  return value;
}

/** Default port of BitTorrent trackers. */
export const DEFAULT_TRACKER_PORT = 6969;

/**
 * `p2p tracker`: runs the HTTP and UDP tracker and the catalog until SIGINT or SIGTERM.
 *
 * @example
 * ```ts
 * program.addCommand(trackerCommand(env));
 * ```
 */
export function trackerCommand(env: CliEnv): Command {
  return new Command("tracker")
    .description(
      "run a BitTorrent tracker (HTTP and UDP) with a catalog of published torrents",
    )
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option(
      "-p, --port <port>",
      "port to listen on (0: any free port)",
      integerOption(0, 65535),
      DEFAULT_TRACKER_PORT,
    )
    .option("-d, --data <dir>", "directory of the catalog and saved swarms", "p2p-tracker-data")
    .option(
      "--interval <seconds>",
      "seconds between announces",
      integerOption(10, 86400),
      DEFAULT_INTERVAL,
    )
    .option("--closed", "serve only published torrents")
    .option("--publish-token <token>", "require 'Authorization: Bearer <token>' to publish")
    .option(
      "--trust-proxy",
      "take peer addresses from X-Forwarded-For or ip= (behind a proxy only)",
    )
    .option(
      "--max-swarms <n>",
      "most torrents tracked at once; announces for more are refused",
      integerOption(1, MAX_CAP),
      DEFAULT_MAX_SWARMS,
    )
    .option(
      "--max-peers <n>",
      "most peers tracked at once, all torrents together",
      integerOption(1, MAX_CAP),
      DEFAULT_MAX_PEERS,
    )
    .option(
      "--max-torrent-size <size>",
      "largest .torrent accepted for publishing (512K, 4M)",
      sizeOption,
      DEFAULT_MAX_TORRENT_BYTES,
    )
    .option(
      "--max-connections <n>",
      `most connections open at once (default: the descriptor limit less ${RESERVED_DESCRIPTORS})`,
      integerOption(1, MAX_CAP),
    )
    .option(
      "--save-interval <seconds>",
      "seconds between saves of the swarms (a SIGKILL loses at most this much)",
      integerOption(1, 86400),
      DEFAULT_SAVE_INTERVAL,
    )
    .addOption(
      new Option(
        "--udp-port <port>",
        "UDP port (default: the HTTP port's number; 0: any free port)",
      )
        .argParser(integerOption(0, 65535))
        .conflicts("udp"),
    )
    .option("--no-udp", "answer HTTP only, no UDP (BEP 15)")
    .option("-q, --quiet", "no log lines")
    .option("--json", "one JSON line on stdout once listening: its HTTP and UDP announce URLs")
    .action((options: TrackerCommandOptions) => runTracker(env, options));
}

async function runTracker(env: CliEnv, options: TrackerCommandOptions): Promise<void> {
  const dataDirectory = resolve(env.cwd, options.data);
  let catalog: Catalog;
  try {
    catalog = await Catalog.open(dataDirectory);
  } catch (error) {
    throw new CommandError(
      `cannot open the catalog in ${dataDirectory}: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  const stop = env.stopRequested();
  const log = options.quiet
    ? undefined
    : (line: string) => env.stderr.write(`${new Date().toISOString()} ${line}\n`);
  try {
    const tracker = await startTracker({
      hostname: options.host,
      port: options.port,
      catalog,
      interval: options.interval,
      closed: options.closed === true,
      publishToken: options.publishToken,
      trustProxy: options.trustProxy === true,
      maxSwarms: options.maxSwarms,
      maxPeers: options.maxPeers,
      maxTorrentBytes: options.maxTorrentSize,
      maxConnections: options.maxConnections,
      swarmFile: join(dataDirectory, SWARM_FILE_NAME),
      saveInterval: options.saveInterval,
      udpPort: options.udp ? options.udpPort : false,
      log,
      signal: stop,
    }).catch((error) => {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new CommandError(`port ${options.port} on ${options.host} is already in use`);
      }
      if (error instanceof Deno.errors.AddrNotAvailable) {
        throw new CommandError(`cannot listen on ${options.host}: no such local address`);
      }
      throw error;
    });
    if (options.json) {
      const urls = { http: tracker.announceUrl, udp: tracker.udpAnnounceUrl ?? null };
      env.stdout.write(`${JSON.stringify({ listening: urls })}\n`);
    } else {
      // One URL a line, HTTP's first: scripts that read the first line keep working.
      env.stdout.write(`listening on ${tracker.announceUrl}\n`);
      if (tracker.udpAnnounceUrl) env.stdout.write(`listening on ${tracker.udpAnnounceUrl}\n`);
    }
    log?.(
      `tracker ready: ${catalog.size} published torrents in ${dataDirectory}` +
        (options.closed ? " (closed: published torrents only)" : "") +
        `; pages on ${tracker.announceUrl.replace(/announce$/, "")}`,
    );
    await tracker.finished;
    log?.(`stopped (${stop.reason ?? "shutdown"})`);
  } finally {
    catalog.close();
  }
}
