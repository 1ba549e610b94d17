import { Command } from "commander";
import { resolve } from "node:path";
import type { Client, ClientTorrent } from "../client/mod.ts";
import { parseFileSelection, type TorrentInfo } from "../metainfo/mod.ts";
import { serveFile, type StreamedFile } from "../stream/mod.ts";
import { addTorrent, refuseNonDirectory, startClient } from "./client_setup.ts";
import { type DiscoveryOptions, discoveryOptions } from "./discovery.ts";
import { lockDownload } from "./download_lock.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { counted, formatBytes } from "../format.ts";
import { DEFAULT_STALL_TIMEOUT } from "./get.ts";
import { readTorrentFile } from "./read_torrent.ts";
import { fetchMetadata, magnetArgument } from "./magnet_source.ts";
import { downloadRateOption, encryptionOption } from "./options.ts";
import { integerOption, rateOption } from "./value_parsers.ts";
import { terminal, verboseLog } from "./terminal.ts";
import type { EncryptionPolicy } from "../client/mod.ts";

/** How `p2p stream` runs. */
interface StreamOptions extends DiscoveryOptions {
  dir: string;
  /** The file to serve, numbered as `info` lists them (default: the largest). */
  file?: number;
  /** The HTTP port on 127.0.0.1 (0: any free one). */
  port: number;
  peerPort: number;
  name?: string;
  maxUploadRate?: number;
  maxDownloadRate?: number;
  encryption?: EncryptionPolicy;
  utp?: boolean;
  tcp?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * `p2p stream TORRENT|MAGNET`: downloads one file in order and serves it
 * over HTTP on 127.0.0.1 while it downloads, for a player or a browser;
 * the ranges they ask for are fetched first.
 *
 * @example
 * ```ts
 * program.addCommand(streamCommand(env));
 * ```
 */
export function streamCommand(env: CliEnv): Command {
  const command = new Command("stream")
    .description("serve a file of a torrent over HTTP on 127.0.0.1 while it downloads")
    .argument("<torrent>", ".torrent file, the URL of one, a magnet link or an info hash")
    .option("-d, --dir <dir>", "directory to download into", ".")
    .option(
      "--file <number>",
      "the file to serve, numbered as info lists them (default: the largest)",
      integerOption(1, 2 ** 31),
    )
    .option(
      "--port <port>",
      "HTTP port on 127.0.0.1 (0: any free port)",
      integerOption(0, 65535),
      0,
    )
    .option(
      "--peer-port <port>",
      "port to listen on for peers (0: any free port)",
      integerOption(0, 65535),
      0,
    )
    .option("--name <name>", "our name in the tracker's log")
    .option("--max-upload-rate <rate>", "upload limit in bytes per second (500K, 2M)", rateOption)
    .addOption(encryptionOption())
    .option("--no-utp", "no uTP (peers over UDP), in or out")
    .option("--no-tcp", "no TCP peer connections, in or out (uTP only)")
    .option("-v, --verbose", "log every peer event")
    .option("-q, --quiet", "no progress or status output")
    .action((torrent: string, options: StreamOptions) => stream(env, torrent, options));
  return downloadRateOption(discoveryOptions(command));
}

/** The file to serve: the one asked for, else the largest (the film, not its subtitles). */
function chooseFile(info: TorrentInfo, number: number | undefined): number {
  if (number !== undefined) return parseFileSelection(String(number), info.files, "--file")[0];
  let largest = 0;
  info.files.forEach((file, index) => {
    if (file.length > info.files[largest].length) largest = index;
  });
  return largest;
}

async function stream(env: CliEnv, argument: string, options: StreamOptions): Promise<void> {
  const quiet = options.quiet === true;
  const say = (line: string) => quiet || terminal(env).line(line);
  const log = verboseLog(env, options.verbose, quiet);
  const link = await magnetArgument(env, argument);
  const metainfo = link ? undefined : await readTorrentFile(env, argument);
  // A file number that does not fit the torrent is refused before any network.
  if (metainfo) chooseFile(metainfo, options.file);
  const select = (info: TorrentInfo) => [chooseFile(info, options.file)];
  const target = resolve(env.cwd, options.dir);
  await refuseNonDirectory(target, options.dir);
  const infoHash = link?.infoHash ?? metainfo!.infoHash;
  const unlock = await lockDownload(target, infoHash, metainfo?.name ?? infoHash.hex);
  let client: Client | undefined;
  let server: Deno.HttpServer | undefined;
  let stopStatus = () => {};
  try {
    client = await startClient(
      env,
      { ...options, port: options.peerPort, host: "0.0.0.0" },
      log,
      say,
    );
    // Bound first: a port that is taken fails before any file is created.
    const ready: { file?: StreamedFile } = {};
    const listening = Promise.withResolvers<number>();
    try {
      server = Deno.serve(
        {
          hostname: "127.0.0.1",
          port: options.port,
          onListen: ({ port }) => listening.resolve(port),
          onError: (error) =>
            new Response(`${error instanceof Error ? error.message : error}\n`, { status: 500 }),
        },
        (request) =>
          ready.file
            ? serveFile(ready.file, request)
            : new Response("the file is not known yet: the torrent's metadata is on its way\n", {
              status: 503,
            }),
      );
    } catch (error) {
      throw new CommandError(
        `cannot serve HTTP on 127.0.0.1:${options.port}: ${
          error instanceof Deno.errors.AddrInUse
            ? "the port is taken"
            : error instanceof Error
            ? error.message
            : error
        }`,
      );
    }
    const stop = env.stopRequested();
    let torrent: ClientTorrent;
    if (metainfo) {
      torrent = (await addTorrent(env, client, metainfo, options.dir, "write", {
        quiet,
        log,
        select,
        sequential: true,
      })).torrent;
    } else {
      say(`Fetching the metadata of ${link!.name ?? link!.infoHash.hex} from peers`);
      torrent = (await fetchMetadata(env, client, link!, {
        directory: options.dir,
        timeout: DEFAULT_STALL_TIMEOUT,
        select,
        sequential: true,
        log,
        stop,
      })).torrent;
    }
    const info = torrent.info!;
    const index = chooseFile(info, options.file);
    const chosen = info.files[index];
    ready.file = {
      name: chosen.path.at(-1)!,
      size: chosen.length,
      read: (offset, into) => torrent.read(chosen.offset + offset, into),
    };
    torrent.findPeers();
    const port = await listening.promise;
    say(
      `streaming ${[info.name, ...(info.multiFile ? chosen.path : [])].join("/")} (${
        formatBytes(chosen.length)
      }) while it downloads; play http://127.0.0.1:${port}/`,
    );
    env.stdout.write(`http://127.0.0.1:${port}/\n`);
    const session = torrent.session;
    stopStatus = terminal(env).status(() => {
      const stats = session.stats();
      const left = session.bytesLeft ?? 0;
      return left === 0
        ? `all here: seeding to ${counted(stats.peers, "peer")}, ${
          formatBytes(stats.uploaded)
        } uploaded`
        : `${formatBytes(left)} to go, ${formatBytes(stats.downloadRate)}/s, ${
          counted(stats.peers, "peer")
        }`;
    }, quiet);
    await Promise.race([
      new Promise<void>((resolve) => {
        if (stop.aborted) resolve();
        stop.addEventListener("abort", () => resolve(), { once: true });
      }),
      session.failed,
    ]);
    say(`stopped (${stop.reason ?? "error"})`);
  } finally {
    stopStatus();
    await server?.shutdown();
    await client?.close();
    await unlock();
  }
}
