import { Command, InvalidArgumentError } from "commander";
import { dirname, join, resolve } from "node:path";
import {
  choosePieceLength,
  createMetainfo,
  magnetOf,
  parseMetainfo,
  parsePieceLength,
} from "../metainfo/mod.ts";
import { describeFileError, hashPieces, scanSource } from "../storage/mod.ts";
import { writeFileAtomically } from "./atomic_write.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { counted, formatBytes } from "../format.ts";
import { terminal } from "./terminal.ts";
import { CREATED_BY } from "./version.ts";

interface MakeTorrentOptions extends TorrentSettings {
  /** `-a`: trackers spelled as mktorrent does, after the `-t` ones. */
  announce?: string[];
  output?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * A commander option parser for piece lengths (`256K`, `1M`, `18`).
 *
 * @example
 * ```ts
 * command.option("-l, --piece-length <size>", "piece length", pieceLengthOption);
 * ```
 */
export function pieceLengthOption(text: string): number {
  const parsed = parsePieceLength(text);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  return parsed.bytes;
}

/** Trackers a torrent may name: the kinds BitTorrent clients announce to. */
const TRACKER_SCHEMES = new Set(["http:", "https:", "udp:"]);

/** Collects `-t` URLs, refusing what no client could announce to. */
function collectTracker(value: string, previous: string[] = []): string[] {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || !TRACKER_SCHEMES.has(url.protocol) || url.hostname === "") {
    throw new InvalidArgumentError("must be an http, https or udp URL with a host");
  }
  return [...previous, value];
}

/**
 * `p2p make-torrent PATH`: hashes a file or directory and writes its .torrent.
 *
 * @example
 * ```ts
 * program.addCommand(makeTorrentCommand(env));
 * ```
 */
export function makeTorrentCommand(env: CliEnv): Command {
  return new Command("make-torrent")
    .description("create a .torrent (BEP 3) for a file or a directory")
    .argument("<path>", "file or directory to share")
    .option(
      "-t, --tracker <url>",
      "tracker announce URL, http, https or udp (repeatable; BEP 12 tiers)",
      collectTracker,
    )
    .option(
      "-a, --announce <url>",
      "the same as -t, as mktorrent and webtorrent spell it (these URLs follow any -t ones)",
      collectTracker,
    )
    .option(
      "-l, --piece-length <size>",
      "piece length: 256K, 1M, or 18 for 2^18 (default: 1,000-2,000 pieces)",
      pieceLengthOption,
    )
    .option("-o, --output <file>", "where to write the torrent (default: NAME.torrent)")
    .option("-n, --name <name>", "torrent name (default: the file or directory name)")
    .option("-c, --comment <text>", "comment")
    .option("-s, --source <text>", "source tag, stored in the info dictionary")
    .option("-p, --private", "private torrent (BEP 27): peers only from trackers")
    .option("--no-date", "leave out the creation date (reproducible output)")
    .option("-f, --force", "overwrite an existing output file")
    .option("--include-hidden", "include files and directories whose name starts with '.'")
    .option("--follow-symlinks", "follow symbolic links (skipped by default)")
    .option("--json", "print the result as JSON on stdout")
    .option("-q, --quiet", "no progress output")
    .action((path: string, options: MakeTorrentOptions) => makeTorrent(env, path, options));
}

async function makeTorrent(env: CliEnv, path: string, options: MakeTorrentOptions): Promise<void> {
  const say = (line: string) => options.quiet || terminal(env).line(line);
  let outputPath = "";
  const trackers = [...(options.tracker ?? []), ...(options.announce ?? [])];
  const settings = { ...options, tracker: trackers.length > 0 ? trackers : undefined };
  const bytes = await buildTorrent(env, path, settings, {
    say,
    beforeHashing: async (name) => {
      outputPath = resolve(env.cwd, options.output ?? `${name}.torrent`);
      if (!options.force) await refuseExisting(outputPath);
      await refuseUnwritable(dirname(outputPath));
    },
  });
  // Parsing what we wrote proves it is a torrent every reader accepts (the name included).
  const torrent = parseMetainfo(bytes);
  say(`[3/3] Writing ${outputPath}...`);
  await writeFileAtomically(outputPath, bytes, { overwrite: options.force === true });
  if (options.json) {
    env.stdout.write(
      JSON.stringify({
        path: outputPath,
        name: torrent.name,
        infoHash: torrent.infoHash.hex,
        magnet: magnetOf(torrent),
        totalLength: torrent.totalLength,
        pieceLength: torrent.pieceLength,
        pieceCount: torrent.pieceCount,
        // As info --json lists them, so scripts read one shape.
        files: torrent.files.map((file) => ({ path: file.path.join("/"), length: file.length })),
      }) + "\n",
    );
  } else {
    env.stdout.write(`${torrent.infoHash.hex}  ${outputPath}\n${magnetOf(torrent)}\n`);
  }
}

/** What a new torrent says besides its data; the flags of `make-torrent`. */
export interface TorrentSettings {
  tracker?: string[];
  pieceLength?: number;
  name?: string;
  comment?: string;
  source?: string;
  private?: boolean;
  /** False leaves out the creation date. */
  date: boolean;
  includeHidden?: boolean;
  followSymlinks?: boolean;
  quiet?: boolean;
}

/**
 * Finds the files at `path`, hashes them on every core (with a progress bar
 * on a terminal) and encodes the torrent: `make-torrent` and `publish` both
 * build torrents here.
 *
 * @example
 * ```ts
 * const bytes = await buildTorrent(env, "eBook.txt", { date: false, tracker: [url] }, { say });
 * ```
 */
export async function buildTorrent(
  env: CliEnv,
  path: string,
  settings: TorrentSettings,
  hooks: {
    say: (line: string) => void;
    beforeHashing?: (name: string) => Promise<void>;
    /** Hash one range on this thread (default); the shell says no, as it is serving meanwhile. */
    inline?: boolean;
  },
): Promise<Uint8Array> {
  const { say } = hooks;
  say(`[1/3] Searching ${path} for files...`);
  const source = await scanSource(resolve(env.cwd, path), {
    includeHidden: settings.includeHidden,
    followSymlinks: settings.followSymlinks,
  });
  for (const skipped of source.skipped) say(`      skipped ${skipped} (not a regular file)`);
  const name = settings.name ?? source.name;
  await hooks.beforeHashing?.(name);
  let offset = 0;
  const files = source.files.map((file) => {
    const placed = { ...file, offset };
    offset += file.length;
    return placed;
  });
  const totalLength = offset;
  const pieceLength = settings.pieceLength ?? choosePieceLength(totalLength);
  const pieceCount = Math.ceil(totalLength / pieceLength);
  say(
    `[2/3] Hashing ${counted(files.length, "file")}, ` +
      `${formatBytes(totalLength)} in ${counted(pieceCount, "piece")} of ${
        formatBytes(pieceLength)
      }...`,
  );
  const progress = await terminal(env).bar("Hashing", totalLength, settings.quiet === true);
  const pieceHashes = await hashPieces({ files, pieceLength }, {
    onProgress: (bytes) => progress.advance(bytes),
    inline: hooks.inline ?? true,
  }).finally(() => progress.stop());
  return createMetainfo({
    name,
    layout: source.kind === "single"
      ? { kind: "single", length: totalLength }
      : { kind: "multi", files: source.files },
    pieceLength,
    pieceHashes,
    trackers: settings.tracker,
    private: settings.private,
    comment: settings.comment,
    source: settings.source,
    createdBy: CREATED_BY,
    creationDate: settings.date ? Math.floor(env.now().getTime() / 1000) : undefined,
  });
}

async function refuseExisting(outputPath: string): Promise<void> {
  try {
    await Deno.lstat(outputPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      await Deno.stat(dirname(outputPath)).catch(() => {
        throw new CommandError(`output directory does not exist: ${dirname(outputPath)}`);
      });
      return;
    }
    throw error;
  }
  throw new CommandError(`${outputPath} already exists (use --force to overwrite)`);
}

/**
 * Refuses an output directory that cannot be written (read-only, not ours)
 * before the data is hashed, rather than after: a probe file is made and
 * removed there.
 */
async function refuseUnwritable(directory: string): Promise<void> {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const probe = join(directory, `.p2p-write-check.${random}`);
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  } catch (error) {
    throw new CommandError(`cannot write to ${directory}: ${describeFileError(error)}`);
  }
  await Deno.remove(probe).catch(() => {});
}
