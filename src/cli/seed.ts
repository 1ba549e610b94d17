import { Command } from "commander";
import { PeerListener, SessionAnnouncer, type TorrentSession } from "../session/mod.ts";
import { generatePeerId } from "../wire/mod.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { formatBytes, formatCount } from "./format.ts";
import { peerOptions } from "./options.ts";
import { readTorrentFile } from "./read_torrent.ts";
import { prepareSession } from "./session_setup.ts";
import { startStatusLine } from "./status_line.ts";
import { VERSION } from "./version.ts";

/** Default BitTorrent listening port. */
export const DEFAULT_PEER_PORT = 6881;

/** How `seed` (and `publish`) serve. */
export interface SeedOptions {
  dir: string;
  port: number;
  host: string;
  partial?: boolean;
  name?: string;
  maxUploadRate?: number;
  verbose?: boolean;
  quiet?: boolean;
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
  return peerOptions(new Command("seed"), DEFAULT_PEER_PORT)
    .description("serve the pieces of one or more torrents to any BitTorrent client")
    .argument("<torrents...>", ".torrent files (their data must be in --dir)")
    .option("-d, --dir <dir>", "directory holding the data", ".")
    .option("--partial", "serve the verified pieces of incomplete data")
    .action((torrents: string[], options: SeedOptions) => runSeed(env, torrents, options));
}

/**
 * Seeds torrents as `p2p seed` does (shared with `p2p publish`).
 *
 * @example
 * ```ts
 * await runSeed(env, ["x.torrent"], { dir: ".", port: 0, host: "0.0.0.0" });
 * ```
 */
export async function runSeed(env: CliEnv, paths: string[], options: SeedOptions): Promise<void> {
  const quiet = options.quiet === true;
  const say = (line: string) => quiet || env.stderr.write(`${line}\n`);
  const log = options.verbose ? say : undefined;
  const peerId = generatePeerId(VERSION);
  const torrents = [];
  for (const path of paths) torrents.push(await readTorrentFile(env, path));
  const sessions: TorrentSession[] = [];
  try {
    for (const torrent of torrents) {
      const { session, verifiedPieces } = await prepareSession(env, torrent, options.dir, "read", {
        peerId,
        quiet,
        log,
        maxUploadRate: options.maxUploadRate,
      });
      sessions.push(session);
      if (verifiedPieces < torrent.pieceCount) {
        const missing = torrent.pieceCount - verifiedPieces;
        if (!options.partial) {
          throw new CommandError(
            `${torrent.name}: ${formatCount(missing)} of ${
              formatCount(torrent.pieceCount)
            } pieces ` +
              `are missing or corrupt in ${options.dir} (use --partial to serve the rest)`,
          );
        }
        say(
          `${torrent.name}: serving ${formatCount(verifiedPieces)} of ${
            formatCount(torrent.pieceCount)
          } pieces`,
        );
      }
    }
  } catch (error) {
    await Promise.all(sessions.map((session) => session.close()));
    throw error;
  }

  let listener: PeerListener;
  try {
    listener = PeerListener.listen(options.host, options.port, log);
  } catch (error) {
    await Promise.all(sessions.map((session) => session.close()));
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CommandError(`port ${options.port} is already in use`);
    }
    throw error;
  }
  const stop = env.stopRequested();
  const announcers = sessions.map((session) => {
    listener.add(session);
    env.stdout.write(
      `seeding ${session.torrent.name} (${session.torrent.infoHashHex}) on port ${listener.port}\n`,
    );
    const announcer = new SessionAnnouncer(session, {
      port: listener.port,
      name: options.name,
      log: say,
    });
    announcer.start();
    return announcer;
  });
  const stopStatus = startStatusLine(env, () =>
    sessions.map((session) => {
      const stats = session.stats();
      return `${session.torrent.name}: ${stats.peers} peers, up ${
        formatBytes(stats.uploadRate)
      }/s, ` +
        `${formatBytes(stats.uploaded)} uploaded`;
    }).join(" | "), quiet);

  const failure = Promise.race(sessions.map((session) => session.failed));
  try {
    await Promise.race([
      new Promise<void>((resolve) =>
        stop.addEventListener("abort", () => resolve(), { once: true })
      ),
      failure,
    ]);
  } finally {
    stopStatus();
    listener.close();
    await Promise.all(announcers.map((announcer) => announcer.stop()));
    const uploaded = sessions.reduce((sum, session) => sum + session.stats().uploaded, 0);
    await Promise.all(sessions.map((session) => session.close()));
    say(`stopped (${stop.reason ?? "error"}): ${formatBytes(uploaded)} uploaded`);
  }
}
