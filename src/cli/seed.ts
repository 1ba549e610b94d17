import { Command } from "commander";
import { relative, resolve } from "node:path";
import type { Client, ClientTorrent } from "../client/mod.ts";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { torrentFilePaths } from "../storage/mod.ts";
import { addTorrent, startClient } from "./client_setup.ts";
import { dataDirectory, type DiscoveryOptions } from "./discovery.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { counted, formatBytes, formatCount } from "../format.ts";
import { peerOptions } from "./options.ts";
import { seedLimitOptions, watchSeedLimits } from "./seed_limits.ts";
import { readTorrentFile } from "./read_torrent.ts";
import { terminal, verboseLog } from "./terminal.ts";

/** Default BitTorrent listening port. */
export const DEFAULT_PEER_PORT = 6881;

/** How `seed` (and `publish`) serve. */
export interface SeedOptions extends DiscoveryOptions {
  dir: string;
  port: number;
  host: string;
  partial?: boolean;
  name?: string;
  maxUploadRate?: number;
  verbose?: boolean;
  quiet?: boolean;
  /** One JSON line per torrent served, on stdout, instead of the status line. */
  json?: boolean;
  /** Stop seeding once uploaded reaches this many times the data (`--seed-ratio`). */
  seedRatio?: number;
  /** Stop seeding after this many seconds (`--seed-time`). */
  seedTime?: number;
}

/**
 * `p2p seed X.torrent...`: rechecks the data and serves it until SIGINT or SIGTERM.
 *
 * @example
 * ```ts
 * program.addCommand(seedCommand(env));
 * ```
 */
export function seedCommand(env: CliEnv): Command {
  return seedLimitOptions(peerOptions(new Command("seed"), DEFAULT_PEER_PORT))
    .description("serve the pieces of one or more torrents to any BitTorrent client")
    .argument("<torrents...>", ".torrent files (their data must be in --dir)")
    .option("-d, --dir <dir>", "directory holding the data", ".")
    .option("--partial", "serve the verified pieces of incomplete data")
    .option("--json", "one JSON line per torrent served, on stdout; no status line")
    .action((torrents: string[], options: SeedOptions) => runSeed(env, torrents, options));
}

/**
 * The Client `p2p seed` serves with: listening on the options' port, with
 * their limits and peer sources. `publish` starts it before publishing, so
 * a port that is taken fails before the catalog lists anything.
 *
 * @throws {TransportError} when the port is taken.
 */
export function seedClient(env: CliEnv, options: SeedOptions): Promise<Client> {
  const say = (line: string) => options.quiet === true || terminal(env).line(line);
  return startClient(env, options, verboseLog(env, options.verbose, options.quiet), say);
}

/**
 * Seeds torrents as `p2p seed` does (shared with `p2p publish`).
 *
 * @example
 * ```ts
 * await runSeed(env, ["x.torrent"], { dir: ".", port: 0, host: "0.0.0.0" });
 * ```
 */
export async function runSeed(
  env: CliEnv,
  paths: string[],
  options: SeedOptions,
  started?: Client,
): Promise<void> {
  const quiet = options.quiet === true;
  const say = (line: string) => quiet || terminal(env).line(line);
  const log = verboseLog(env, options.verbose, quiet);
  const metainfos = [];
  try {
    for (const path of paths) metainfos.push(await readTorrentFile(env, path));
  } catch (error) {
    await started?.close();
    throw error;
  }
  const client = started ?? await seedClient(env, options);
  const stop = env.stopRequested();
  const torrents: ClientTorrent[] = [];
  let stopStatus = () => {};
  let serving = false;
  let limitReached: string | undefined;
  const watches: ReturnType<typeof watchSeedLimits>[] = [];
  try {
    for (const metainfo of metainfos) {
      // Files that are not there at all are said as such, before a recheck that would only fail.
      if (!options.partial) await refuseMissingFiles(metainfo, env.cwd, options.dir);
      const { torrent, verifiedPieces } = await addTorrent(
        env,
        client,
        metainfo,
        options.dir,
        "read",
        { quiet, log, resumeIn: dataDirectory(env, options) },
      );
      torrents.push(torrent);
      if (verifiedPieces < metainfo.pieceCount) {
        const missing = metainfo.pieceCount - verifiedPieces;
        if (!options.partial) {
          throw new CommandError(
            `${metainfo.name}: ${formatCount(missing)} of ${
              formatCount(metainfo.pieceCount)
            } pieces ` +
              `are missing or corrupt in ${options.dir} (use --partial to serve the rest)`,
          );
        }
        say(
          `${metainfo.name}: serving ${formatCount(verifiedPieces)} of ${
            formatCount(metainfo.pieceCount)
          } pieces`,
        );
      }
    }
    for (const torrent of torrents) {
      const { name } = torrent.session;
      env.stdout.write(
        options.json
          ? `${
            JSON.stringify({ seeding: name, infoHash: torrent.infoHash.hex, port: client.port })
          }\n`
          : `seeding ${name} (${torrent.infoHash.hex}) on port ${client.port}\n`,
      );
      torrent.findPeers();
    }
    serving = true;
    stopStatus = terminal(env).status(() => seedingStatus(torrents), quiet || !!options.json);
    // Each torrent stops (announcing `stopped`) at its own limit; the command when all have.
    let seeding = torrents.length;
    const allReached = new Promise<void>((resolve) => {
      for (const torrent of torrents) {
        const watch = watchSeedLimits(torrent, options);
        watches.push(watch);
        watch.reached.then(async (reason) => {
          if (torrents.length > 1) say(`${torrent.session.name}: ${reason}`);
          await client.remove(torrent.infoHash);
          if (--seeding > 0) return;
          limitReached = torrents.length === 1 ? reason : "every torrent reached its limit";
          resolve();
        });
      }
    });
    await Promise.race([
      new Promise<void>((resolve) =>
        stop.addEventListener("abort", () => resolve(), { once: true })
      ),
      allReached,
      ...torrents.map(({ session }) => session.failed),
    ]);
  } finally {
    for (const watch of watches) watch.cancel();
    stopStatus();
    const uploaded = torrents.reduce((sum, { session }) => sum + session.stats().uploaded, 0);
    await client.close();
    if (serving) {
      say(
        `stopped (${limitReached ?? stop.reason ?? "error"}): ${formatBytes(uploaded)} uploaded`,
      );
    }
  }
}

/** Torrents named one by one in the status line; more are summed up in one. */
const NAMED_IN_STATUS = 3;

/** The status line: each torrent's peers and upload, or their sums when there are many. */
function seedingStatus(torrents: readonly ClientTorrent[]): string {
  const line = (name: string, peers: number, rate: number, uploaded: number) =>
    `${name}: ${counted(peers, "peer")}, up ${formatBytes(rate)}/s, ${
      formatBytes(uploaded)
    } uploaded`;
  const all = torrents.map(({ session }) => ({ name: session.name, ...session.stats() }));
  if (all.length <= NAMED_IN_STATUS) {
    return all.map((t) => line(t.name, t.peers, t.uploadRate, t.uploaded)).join(" | ");
  }
  const sum = (pick: (t: (typeof all)[number]) => number) =>
    all.reduce((total, t) => total + pick(t), 0);
  return line(
    `${formatCount(all.length)} torrents`,
    sum((t) => t.peers),
    sum((t) => t.uploadRate),
    sum((t) => t.uploaded),
  );
}

/**
 * Refuses a torrent whose (non-empty) files are not in `directory` (below
 * `cwd`) at all,
 * naming them, so a wrong `-d` reads as that rather than as corrupt data.
 *
 * @throws {CommandError} naming up to three missing files.
 */
async function refuseMissingFiles(
  info: TorrentInfo,
  cwd: string,
  directory: string,
): Promise<void> {
  const base = resolve(cwd, directory);
  const paths = torrentFilePaths(info, base);
  const missing: string[] = [];
  for (const [index, path] of paths.entries()) {
    if (info.files[index].length === 0) continue;
    try {
      await Deno.stat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push(relative(base, path));
    }
  }
  if (missing.length === 0) return;
  const shown = missing.slice(0, 3).join(", ") + (missing.length > 3 ? ", ..." : "");
  const counted = paths.length === 1
    ? `${missing[0]} is`
    : `${formatCount(missing.length)} of ${formatCount(paths.length)} files ${
      missing.length === 1 ? "is" : "are"
    } (${shown})`;
  throw new CommandError(
    `${info.name}: ${counted} not in ${directory} (the data must be below -d; --partial serves what is there)`,
  );
}
