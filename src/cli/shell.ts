import { Command } from "commander";
import process from "node:process";
import readline from "node:readline";
import { dirname, join, resolve } from "node:path";
import {
  checkSelectOnly,
  type InfoHash,
  type MagnetLink,
  type Metainfo,
  parseMetainfo,
} from "../metainfo/mod.ts";
import type { Client, ClientTorrent, EncryptionPolicy } from "../client/mod.ts";
import { catalogUrl, downloadCatalogTorrent, searchCatalog, TrackerError } from "../tracker/mod.ts";
import { addTorrent, startClient } from "./client_setup.ts";
import type { CliEnv } from "./env.ts";
import { CommandError, Interrupted } from "./errors.ts";
import { lockDownload } from "./download_lock.ts";
import { terminal } from "./terminal.ts";
import { counted, formatBytes } from "../format.ts";
import { describeResult, matchesOf } from "./fetch.ts";
import { downloadProgress } from "./get.ts";
import { fetchMetadata, magnetArgument } from "./magnet_source.ts";
import { type DiscoveryOptions, discoveryOptions } from "./discovery.ts";
import { downloadRateOption, encryptionOption } from "./options.ts";
import { integerOption, rateOption } from "./value_parsers.ts";
import { makeAndPublish } from "./publish.ts";

/** Seconds a fetch in the shell may go without data before it gives up. */
const FETCH_TIMEOUT_S = 60;
/** A follow's line off a terminal is printed at most this often. */
const FOLLOW_LINE_MS = 1000;

const HELP = `commands:
  publish FILE   share FILE (in the client's directory): publish it to the tracker and seed it
  fetch NAME     download NAME from the peers that have it, then seed it
                 (or fetch HASH: an info hash the catalog lists; fetch MAGNET:
                 a magnet link, its metadata from peers); Ctrl-C leaves it
                 downloading in the background
  search [TEXT]  list the tracker's torrents whose name contains TEXT (all of them without)
  status         what this client seeds and downloads, with peers, rates and ETA
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
  /** One JSON object a line on stdout for each result, instead of the lines for people. */
  json?: boolean;
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
    .option("--json", "one JSON object a line on stdout for each result, for scripts")
    .action((options: ShellOptions) => new Shell(env, options).run());
  return downloadRateOption(discoveryOptions(command));
}

/** A download the shell started: its session, and the lock on its files until it completes. */
interface ShellDownload {
  readonly session: ClientTorrent["session"];
  readonly name: string;
}

/** The words the shell knows, for tab completion. */
const SHELL_COMMANDS = ["exit", "fetch", "help", "publish", "quit", "search", "status"];

class Shell {
  readonly #directory: string;
  readonly #tracker: string;
  #client: Client | undefined;
  #lines: readline.Interface | undefined;
  /** Aborted by Ctrl-C while a fetch is followed at the prompt: it goes on in the background. */
  #following: AbortController | undefined;
  /** Download locks still held, released when each completes or the shell leaves. */
  readonly #locks = new Set<() => Promise<void>>();

  constructor(readonly env: CliEnv, readonly options: ShellOptions) {
    this.#directory = resolve(env.cwd, options.dir);
    this.#tracker = catalogUrl(options.tracker);
  }

  #say(line: string): void {
    if (!this.options.json) this.env.stdout.write(`${line}\n`);
  }

  /** A result: `line` for people, or `json` as one line with --json. */
  #tell(line: string, json: Record<string, unknown>): void {
    if (this.options.json) this.env.stdout.write(`${JSON.stringify(json)}\n`);
    else this.env.stdout.write(`${line}\n`);
  }

  async run(): Promise<void> {
    // Listened for before the banner: a SIGTERM right after it still leaves as it should.
    const stop = this.env.stopRequested();
    await Deno.mkdir(this.#directory, { recursive: true });
    this.#client = await startClient(this.env, this.options, undefined, () => {});
    this.#tell(
      `p2p shell: client ${this.options.name ?? "(no name)"} in ${this.#directory}, ` +
        `tracker ${this.#tracker}, peers on port ${this.#client.port}. Type help for the commands.`,
      {
        shell: this.options.name ?? null,
        directory: this.#directory,
        tracker: this.#tracker,
        port: this.#client.port,
      },
    );
    const lines = readline.createInterface({
      input: process.stdin,
      output: process.stderr,
      prompt: "p2p> ",
      terminal: Deno.stdin.isTerminal(),
      historySize: 100,
      completer: (line: string, answer: (error: null, result: [string[], string]) => void) => {
        this.#complete(line).then(
          (result) => answer(null, result),
          () => answer(null, [[], line]),
        );
      },
    });
    this.#lines = lines;
    // Input may end (Ctrl-D, or a pipe) while a command still runs: the lines
    // read so far are still executed, and no prompt is shown on a closed reader.
    let closed = false;
    lines.on("close", () => (closed = true));
    const prompt = () => closed || lines.prompt();
    // Ctrl-C at the prompt clears the line, as shells do; Ctrl-D or exit leaves. During a
    // fetch it gives the prompt back and the download goes on.
    lines.on("SIGINT", () => {
      if (this.#following) {
        this.#following.abort();
        return;
      }
      lines.write(null, { ctrl: true, name: "u" });
      this.env.stderr.write("^C (Ctrl-D or exit to leave)\n");
      prompt();
    });
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
    // Stopped by a signal, not by exit or Ctrl-D: 143 for SIGTERM, as every command says it.
    if (stop.aborted) throw new Interrupted(String(stop.reason));
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
          this.#tell(HELP, { help: HELP });
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
      const message = known ? (error as Error).message : String(error);
      this.#tell(`error: ${message}`, { error: message });
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
      // The piece length p2p publish picks too: the same file is the same torrent either way.
      peerName: this.options.name,
      inline: false,
      quiet: true,
    });
    const { session } = await this.#start(torrent, dirname(target), "read");
    if (!session.complete) throw new CommandError(`${file} does not match its torrent`);
    // Seeding as `status` reports it: once the session has settled its files.
    await session.whenComplete();
    this.#tell(
      `${added ? "published" : "already published:"} ${torrent.name} ` +
        `(${torrent.infoHash.hex}); seeding it in the background`,
      { published: torrent.name, infoHash: torrent.infoHash.hex, added },
    );
  }

  async #search(text: string): Promise<void> {
    const results = await searchCatalog(this.#tracker, text);
    if (this.options.json) {
      this.#tell("", { results });
      return;
    }
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
    // An info hash the catalog lists is fetched by its .torrent; any other, as a magnet link.
    const hash = /^[0-9a-f]{40}$/i.test(name) ? name.toLowerCase() : undefined;
    const published = hash &&
      await downloadCatalogTorrent(this.#tracker, hash).catch(() => undefined);
    const link = published ? undefined : await magnetArgument(this.env, name);
    const download = published
      ? await this.#fetchPublished(published)
      : link
      ? await this.#fetchMagnet(link)
      : await this.#fetchPublished(await this.#chooseByName(name));
    await this.#follow(download);
  }

  /** The .torrent NAME means in the catalog; several matches are listed by info hash. */
  async #chooseByName(name: string): Promise<Uint8Array> {
    const candidates = matchesOf(await searchCatalog(this.#tracker, name), name, this.#tracker);
    if (candidates.length > 1) {
      throw new CommandError(
        `${candidates.length} torrents match "${name}"; fetch one by its info hash:\n` +
          candidates.map((result) => `  ${describeResult(result)[0]}`).join("\n"),
      );
    }
    return await downloadCatalogTorrent(this.#tracker, candidates[0].infoHash);
  }

  /** Starts downloading a torrent of the catalog. */
  async #fetchPublished(bytes: Uint8Array): Promise<ShellDownload> {
    const torrent = parseMetainfo(bytes);
    const held = this.#client!.get(torrent.infoHash);
    if (held) {
      const what = held.session.complete ? "seeding it already" : "fetching it already";
      throw new CommandError(`${torrent.name}: ${what} (status shows it)`);
    }
    this.#tell(`fetching ${torrent.name} (${formatBytes(torrent.totalLength)})`, {
      fetching: torrent.name,
      infoHash: torrent.infoHash.hex,
      size: torrent.totalLength,
    });
    const unlock = await this.#lock(torrent.infoHash, torrent.name);
    try {
      const { session } = await this.#start(torrent, this.#directory, "write");
      return this.#whenDone(
        { session, name: torrent.name },
        unlock,
      );
    } catch (error) {
      await this.#unlock(unlock);
      throw error;
    }
  }

  /** Starts fetching a magnet link: its metadata from peers (Ctrl-C gives up), then its data. */
  async #fetchMagnet(link: MagnetLink): Promise<ShellDownload> {
    const name = link.name ?? link.infoHash.hex;
    this.#say(`fetching the metadata of ${name} from peers`);
    const unlock = await this.#lock(link.infoHash, name);
    const following = this.#following = new AbortController();
    try {
      const { torrent } = await fetchMetadata(this.env, this.#client!, link, {
        directory: this.#directory,
        timeout: FETCH_TIMEOUT_S,
        stop: following.signal,
        select: link.selectOnly && ((info) => checkSelectOnly(link.selectOnly!, info.files)),
      });
      const info = torrent.info!;
      this.#tell(`fetching ${info.name} (${formatBytes(info.totalLength)})`, {
        fetching: info.name,
        infoHash: info.infoHash.hex,
        size: torrent.session.wantedBytes!,
      });
      return this.#whenDone(
        { session: torrent.session, name: info.name },
        unlock,
      );
    } catch (error) {
      // Without its metadata there is nothing to go on with in the background.
      await this.#client!.remove(link.infoHash);
      await this.#unlock(unlock);
      if (error instanceof Interrupted) throw new CommandError(`stopped fetching ${name}`);
      throw error;
    } finally {
      this.#following = undefined;
    }
  }

  /** Says so when a download completes, in the foreground or not, and frees its files. */
  #whenDone(download: ShellDownload, unlock: () => Promise<void>): ShellDownload {
    download.session.whenComplete().then(
      async () => {
        await this.#unlock(unlock);
        const path = join(this.#directory, download.name);
        this.#notify(`fetched ${path}: every piece verified; seeding it now`, { fetched: path });
      },
      () => this.#unlock(unlock),
    );
    return download;
  }

  /** Takes the download lock of a torrent's files (two fetches of one torrent would clash). */
  async #lock(infoHash: InfoHash, name: string): Promise<() => Promise<void>> {
    const unlock = await lockDownload(this.#directory, infoHash, name);
    this.#locks.add(unlock);
    return unlock;
  }

  async #unlock(unlock: () => Promise<void>): Promise<void> {
    if (this.#locks.delete(unlock)) await unlock();
  }

  /**
   * Shows a download's progress until it completes, stops moving, or Ctrl-C
   * leaves it to the background: a live line on a terminal, a line a
   * second at most otherwise.
   */
  async #follow(download: ShellDownload): Promise<void> {
    const { session } = download;
    if (session.complete) return;
    const following = this.#following = new AbortController();
    const detached = new Promise<"detached">((resolve) =>
      following.signal.addEventListener("abort", () => resolve("detached"), { once: true })
    );
    const render = () => `  ${downloadProgress(session)}`;
    const stopLive = this.env.interactive
      ? terminal(this.env).status(() => `${render()} (Ctrl-C: on in the background)`, false)
      : undefined;
    let lastBytes = -1;
    let lastChange = performance.now();
    let lastLine = -Infinity;
    try {
      while (!session.complete) {
        const stats = session.stats();
        const now = performance.now();
        if (stats.verifiedBytes !== lastBytes) {
          lastBytes = stats.verifiedBytes;
          lastChange = now;
          if (!stopLive && now - lastLine >= FOLLOW_LINE_MS) {
            lastLine = now;
            this.#say(render());
          }
        }
        if (now - lastChange > FETCH_TIMEOUT_S * 1000) {
          throw new CommandError(
            `no progress for ${FETCH_TIMEOUT_S} s; still trying in the background`,
          );
        }
        const woke = await Promise.race([
          session.whenComplete(),
          detached,
          new Promise((resolve) => setTimeout(resolve, 500)),
        ]);
        if (woke === "detached") {
          stopLive?.();
          this.#tell(`${download.name} goes on downloading in the background (status shows it)`, {
            background: download.name,
          });
          return;
        }
      }
    } finally {
      stopLive?.();
      this.#following = undefined;
    }
    // Its completion line comes from #whenDone; it runs before this, as it waited first.
    await session.whenComplete();
  }

  /**
   * A line about something that happened in the background: above the
   * prompt, which is drawn again with what was being typed.
   */
  #notify(line: string, json: Record<string, unknown>): void {
    if (this.#following && this.env.interactive) {
      terminal(this.env).line(line);
    } else if (this.#lines && Deno.stdin.isTerminal() && !this.#following) {
      this.env.stderr.write("\r\x1b[2K");
      this.#tell(line, json);
      this.#lines.prompt(true);
    } else {
      this.#tell(line, json);
    }
  }

  /** Tab completion: command names, local files after publish, catalog names after fetch. */
  async #complete(line: string): Promise<[string[], string]> {
    const space = line.indexOf(" ");
    if (space < 0) {
      // With the space, as shells complete a word: what follows can be typed at once.
      return [
        SHELL_COMMANDS.filter((name) => name.startsWith(line)).map((name) => `${name} `),
        line,
      ];
    }
    const command = line.slice(0, space);
    const partial = line.slice(space + 1);
    let choices: string[] = [];
    if (command === "publish") {
      for await (const entry of Deno.readDir(this.#directory)) {
        if (!entry.name.startsWith(".")) choices.push(entry.name);
      }
    } else if (command === "fetch" || command === "search") {
      choices = [...new Set((await searchCatalog(this.#tracker, partial)).map((r) => r.name))];
    }
    return [choices.filter((choice) => choice.startsWith(partial)).sort(), partial];
  }

  #status(): void {
    const torrents = [...this.#client!.torrents];
    if (this.options.json) {
      this.#tell("", {
        torrents: torrents.map(({ session }) => {
          const stats = session.stats();
          const total = session.wantedBytes ?? null;
          return {
            name: session.name,
            infoHash: session.infoHash.hex,
            // Seeding once the files have their final names, not as the last piece checks.
            state: session.finished ? "seeding" : "downloading",
            size: total,
            left: session.bytesLeft ?? total,
            downloadRate: session.complete ? 0 : stats.downloadRate,
            uploadRate: stats.uploadRate,
            uploaded: stats.uploaded,
            peers: stats.peers,
          };
        }),
      });
      return;
    }
    if (torrents.length === 0) {
      this.#say("nothing shared yet");
      return;
    }
    for (const { session } of torrents) {
      const stats = session.stats();
      // A finished torrent downloads nothing: its last rate would only mislead.
      const role = session.finished ? "seeding" : downloadProgress(session);
      this.#say(
        `${session.name}: ${role}${
          session.finished ? `, ${counted(stats.peers, "peer")}` : ""
        }, up ${formatBytes(stats.uploadRate)}/s (${formatBytes(stats.uploaded)} in all)`,
      );
    }
  }

  async #leave(): Promise<void> {
    await this.#client?.close();
    for (const unlock of [...this.#locks]) await this.#unlock(unlock);
    this.#tell("bye: every torrent announced stopped", { bye: "every torrent announced stopped" });
  }
}
