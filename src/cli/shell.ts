import { Command } from "commander";
import process from "node:process";
import readline from "node:readline";
import { dirname, join, resolve } from "node:path";
import { checkSelectOnly, type MagnetLink, type Metainfo, parseMetainfo } from "../metainfo/mod.ts";
import type { Client, ClientTorrent, EncryptionPolicy } from "../client/mod.ts";
import { catalogUrl, downloadCatalogTorrent, searchCatalog, TrackerError } from "../tracker/mod.ts";
import { addTorrent, startClient } from "./client_setup.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { counted, formatBytes } from "./format.ts";
import { describeResult, matchesOf } from "./fetch.ts";
import { fetchMetadata, magnetArgument } from "./magnet_source.ts";
import { type DiscoveryOptions, discoveryOptions } from "./discovery.ts";
import { downloadRateOption, encryptionOption, integerOption, rateOption } from "./options.ts";
import { makeAndPublish } from "./publish.ts";

/** Seconds a fetch in the shell may go without data before it gives up. */
const FETCH_TIMEOUT_S = 60;
/** Piece length of torrents the shell publishes: the report's 512 KiB. */
const SHELL_PIECE_LENGTH = 512 * 1024;

const HELP = `commands:
  publish FILE   share FILE (in the client's directory): publish it to the tracker and seed it
  fetch NAME     download NAME from the peers that have it, then seed it
                 (or fetch MAGNET: a magnet link, its metadata from peers)
  search [TEXT]  list the tracker's torrents whose name contains TEXT (all of them without)
  status         what this client seeds and downloads, with peers and rates
  help           this list
  exit           leave (Ctrl-D too): every torrent announces it stopped`;

interface ShellOptions extends DiscoveryOptions {
  tracker: string;
  dir: string;
  name?: string;
  port: number;
  host: string;
  encryption?: EncryptionPolicy;
  utp?: boolean;
  tcp?: boolean;
  maxUploadRate?: number;
  maxDownloadRate?: number;
}

/**
 * `p2p shell --tracker URL`: the report's interactive client. Published
 * and fetched files keep seeding in the background while the prompt stays
 * usable.
 *
 * @example
 * ```ts
 * program.addCommand(shellCommand(env));
 * ```
 */
export function shellCommand(env: CliEnv): Command {
  const command = new Command("shell")
    .description("an interactive client: publish, fetch, search, status, exit")
    .requiredOption("-t, --tracker <url>", "the p2p tracker (http://host:port or its announce URL)")
    .option("-d, --dir <dir>", "the client's directory", ".")
    .option("--name <name>", "our name in the tracker's log")
    .option(
      "-p, --port <port>",
      "port to listen on for peers (0: any free port)",
      integerOption(0, 65535),
      0,
    )
    .option("--host <address>", "address to listen on", "0.0.0.0")
    .addOption(encryptionOption())
    .option("--max-upload-rate <rate>", "upload limit in bytes per second (500K, 2M)", rateOption)
    .option("--no-utp", "no uTP (peers over UDP), in or out")
    .option("--no-tcp", "no TCP peer connections, in or out (uTP only)")
    .action((options: ShellOptions) => new Shell(env, options).run());
  return downloadRateOption(discoveryOptions(command));
}

class Shell {
  readonly #directory: string;
  readonly #tracker: string;
  #client: Client | undefined;

  constructor(readonly env: CliEnv, readonly options: ShellOptions) {
    this.#directory = resolve(env.cwd, options.dir);
    this.#tracker = catalogUrl(options.tracker);
  }

  #say(line: string): void {
    this.env.stdout.write(`${line}\n`);
  }

  async run(): Promise<void> {
    await Deno.mkdir(this.#directory, { recursive: true });
    this.#client = await startClient(this.env, this.options, undefined, () => {});
    this.#say(
      `p2p shell: client ${this.options.name ?? "(no name)"} in ${this.#directory}, ` +
        `tracker ${this.#tracker}, peers on port ${this.#client.port}. Type help for the commands.`,
    );
    const lines = readline.createInterface({
      input: process.stdin,
      output: process.stderr,
      prompt: "p2p> ",
      terminal: Deno.stdin.isTerminal(),
      historySize: 100,
    });
    // Input may end (Ctrl-D, or a pipe) while a command still runs: the lines
    // read so far are still executed, and no prompt is shown on a closed reader.
    let closed = false;
    lines.on("close", () => (closed = true));
    const prompt = () => closed || lines.prompt();
    // Ctrl-C at the prompt clears the line, as shells do; Ctrl-D or exit leaves.
    lines.on("SIGINT", () => {
      lines.write(null, { ctrl: true, name: "u" });
      this.env.stderr.write("^C (Ctrl-D or exit to leave)\n");
      prompt();
    });
    const stop = this.env.stopRequested();
    stop.addEventListener("abort", () => lines.close(), { once: true });
    prompt();
    try {
      for await (const line of lines) {
        if (!(await this.#execute(line.trim()))) break;
        prompt();
      }
    } finally {
      lines.close();
      await this.#leave();
    }
  }

  /** Runs one command line; false means leave. */
  async #execute(line: string): Promise<boolean> {
    const [command, ...rest] = line.split(/\s+/);
    const argument = rest.join(" ");
    try {
      switch (command) {
        case "":
          return true;
        case "exit":
        case "quit":
          return false;
        case "help":
          this.#say(HELP);
          return true;
        case "status":
          this.#status();
          return true;
        case "search":
          // With no text, the whole catalog: what a user who does not know a name asks for.
          await this.#search(argument);
          return true;
        case "publish":
        case "fetch":
          if (!argument) throw new CommandError(`${command} needs an argument (try help)`);
          if (command === "publish") await this.#publish(argument);
          else await this.#fetch(argument);
          return true;
        default:
          throw new CommandError(`unknown command "${command}" (try help)`);
      }
    } catch (error) {
      const known = error instanceof CommandError || error instanceof TrackerError ||
        (error instanceof Error && /Error$/.test(error.name));
      this.#say(`error: ${known ? (error as Error).message : String(error)}`);
      return true;
    }
  }

  /** Serves (and downloads, in write mode) a torrent in the background; once only. */
  async #start(
    torrent: Metainfo,
    dataDirectory: string,
    mode: "read" | "write",
  ): Promise<ClientTorrent> {
    const existing = this.#client!.get(torrent.infoHash);
    if (existing) return existing;
    const { torrent: held } = await addTorrent(
      this.env,
      this.#client!,
      torrent,
      dataDirectory,
      mode,
      {
        quiet: true,
        inlineRecheck: false,
      },
    );
    held.findPeers();
    return held;
  }

  async #publish(file: string): Promise<void> {
    const { torrent, target, added } = await makeAndPublish(this.env, this.#directory, file, {
      tracker: this.#tracker,
      pieceLength: SHELL_PIECE_LENGTH,
      peerName: this.options.name,
      inline: false,
      quiet: true,
    });
    const { session } = await this.#start(torrent, dirname(target), "read");
    if (!session.complete) throw new CommandError(`${file} does not match its torrent`);
    this.#say(
      `${added ? "published" : "already published:"} ${torrent.name} ` +
        `(${torrent.infoHash.hex}); seeding it in the background`,
    );
  }

  async #search(text: string): Promise<void> {
    const results = await searchCatalog(this.#tracker, text);
    if (results.length === 0) {
      this.#say(
        text ? `nothing on the tracker matches "${text}"` : "the tracker's catalog is empty",
      );
    }
    for (const result of results) {
      const [summary, magnet] = describeResult(result);
      this.#say(`${summary}\n  ${magnet}`);
    }
  }

  async #fetch(name: string): Promise<void> {
    const link = await magnetArgument(this.env, name);
    if (link) return await this.#fetchMagnet(link);
    const candidates = matchesOf(await searchCatalog(this.#tracker, name), name, this.#tracker);
    if (candidates.length > 1) {
      throw new CommandError(
        `${candidates.length} torrents match "${name}": ${
          candidates.map((c) => c.name).join(", ")
        }`,
      );
    }
    const torrent = parseMetainfo(
      await downloadCatalogTorrent(this.#tracker, candidates[0].infoHash),
    );
    this.#say(
      `fetching ${torrent.name} (${formatBytes(torrent.totalLength)}) from ${
        counted(candidates[0].seeders, "seeder")
      }`,
    );
    const { session } = await this.#start(torrent, this.#directory, "write");
    await this.#follow(session, torrent);
  }

  /** Fetches a magnet link: its metadata from peers, then its data, seeding it after. */
  async #fetchMagnet(link: MagnetLink): Promise<void> {
    this.#say(`fetching the metadata of ${link.name ?? link.infoHash.hex} from peers`);
    const { torrent } = await fetchMetadata(this.env, this.#client!, link, {
      directory: this.#directory,
      timeout: FETCH_TIMEOUT_S,
      stop: new AbortController().signal,
      select: link.selectOnly && ((info) => checkSelectOnly(link.selectOnly!, info.files)),
    });
    const info = torrent.info!;
    this.#say(`fetching ${info.name} (${formatBytes(info.totalLength)})`);
    await this.#follow(torrent.session, info);
  }

  /** Reports a download's progress until it completes (or stops moving). */
  async #follow(
    session: ClientTorrent["session"],
    torrent: { name: string; totalLength: number },
  ): Promise<void> {
    let lastBytes = -1;
    let lastChange = performance.now();
    while (!session.complete) {
      const stats = session.stats();
      if (stats.verifiedBytes !== lastBytes) {
        lastBytes = stats.verifiedBytes;
        lastChange = performance.now();
        this.#say(
          `  ${Math.floor((stats.verifiedBytes / Math.max(1, torrent.totalLength)) * 100)}% ` +
            `${formatBytes(stats.verifiedBytes)} from ${counted(stats.peers, "peer")}`,
        );
      }
      if (performance.now() - lastChange > FETCH_TIMEOUT_S * 1000) {
        throw new CommandError(
          `no progress for ${FETCH_TIMEOUT_S} s; still trying in the background`,
        );
      }
      await Promise.race([
        session.whenComplete(),
        new Promise((resolve) => setTimeout(resolve, 500)),
      ]);
    }
    this.#say(
      `fetched ${join(this.#directory, torrent.name)}: every piece verified; seeding it now`,
    );
  }

  #status(): void {
    const torrents = [...this.#client!.torrents];
    if (torrents.length === 0) {
      this.#say("nothing shared yet");
      return;
    }
    for (const { session } of torrents) {
      const stats = session.stats();
      const total = session.info?.totalLength ?? 0;
      const role = session.complete
        ? "seeding"
        : `downloading ${Math.floor((stats.verifiedBytes / Math.max(1, total)) * 100)}%`;
      // A finished torrent downloads nothing: its last rate would only mislead.
      const down = session.complete ? "" : `, down ${formatBytes(stats.downloadRate)}/s`;
      this.#say(
        `${session.name}: ${role}, ${counted(stats.peers, "peer")}, up ${
          formatBytes(stats.uploadRate)
        }/s (${formatBytes(stats.uploaded)} in all)${down}`,
      );
    }
  }

  async #leave(): Promise<void> {
    await this.#client?.close();
    this.#say("bye: every torrent announced stopped");
  }
}
