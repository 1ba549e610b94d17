import { Command } from "commander";
import { basename, dirname, join, resolve } from "node:path";
import { type Metainfo, parseMetainfo } from "../metainfo/mod.ts";
import { catalogUrl, publishTorrent } from "../tracker/mod.ts";
import { writeFileAtomically } from "./atomic_write.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { buildTorrent, pieceLengthOption } from "./make_torrent.ts";
import { peerOptions } from "./options.ts";
import { runSeed, seedClient, type SeedOptions } from "./seed.ts";
import { terminal } from "./terminal.ts";

interface PublishOptions extends Omit<SeedOptions, "dir"> {
  tracker: string;
  dir: string;
  token?: string;
  pieceLength?: number;
}

/**
 * `p2p publish FILE|DIR --tracker URL`: the report's `publish`: makes the
 * torrent, publishes it to the tracker's catalog and seeds it.
 *
 * @example
 * ```ts
 * program.addCommand(publishCommand(env));
 * ```
 */
export function publishCommand(env: CliEnv): Command {
  return peerOptions(new Command("publish"), 0)
    .description(
      "make a torrent of a file or directory, publish it to a tracker's catalog and seed it",
    )
    .argument("<path>", "file or directory to share, looked for in --dir")
    .requiredOption("-t, --tracker <url>", "the p2p tracker (http://host:port or its announce URL)")
    .option(
      "-d, --dir <dir>",
      "the client's directory: where the file is and the torrent is kept",
      ".",
    )
    .option(
      "-l, --piece-length <size>",
      "piece length (default: automatic, as make-torrent)",
      pieceLengthOption,
    )
    .option("--token <token>", "the tracker's publish token, if it asks for one")
    .option("--json", "JSON lines on stdout: what was published, then what is seeded")
    .action((path: string, options: PublishOptions) => publish(env, path, options));
}

/** A torrent made and published by {@link makeAndPublish}. */
export interface Published {
  readonly torrent: Metainfo;
  /** Where the file or directory is. */
  readonly target: string;
  readonly torrentPath: string;
  /** False when the catalog already had it. */
  readonly added: boolean;
}

/**
 * The report's publish: finds `path` in the client's `directory`, makes its
 * torrent (no creation date, so every client makes the same one), keeps it
 * there as `NAME.torrent` and publishes it to the tracker's catalog.
 * `publish` and the shell's `publish` both go through here.
 *
 * @throws {CommandError} when the file is not there; {@link TrackerError} when the tracker says no.
 * @example
 * ```ts
 * const { torrent, added } = await makeAndPublish(env, "./client2", "eBook.txt", { tracker });
 * ```
 */
export async function makeAndPublish(
  env: CliEnv,
  directory: string,
  path: string,
  options: {
    tracker: string;
    pieceLength?: number;
    token?: string;
    peerName?: string;
    /** Hash partly on this thread (not while other torrents are served). */
    inline?: boolean;
    /** No hashing progress bar. */
    quiet?: boolean;
  },
): Promise<Published> {
  const target = resolve(directory, path);
  if (!(await Deno.stat(target).then(() => true, () => false))) {
    throw new CommandError(`file not found: ${path} (looked in ${directory})`);
  }
  const base = catalogUrl(options.tracker);
  const bytes = await buildTorrent(
    { ...env, cwd: directory },
    target,
    {
      tracker: [`${base}/announce`],
      pieceLength: options.pieceLength,
      date: false,
      quiet: options.quiet,
    },
    { say: () => {}, inline: options.inline },
  );
  const torrent = parseMetainfo(bytes);
  const torrentPath = join(directory, `${basename(target)}.torrent`);
  await writeFileAtomically(torrentPath, bytes, { overwrite: true });
  const { added } = await publishTorrent(base, bytes, {
    token: options.token,
    peerName: options.peerName,
  });
  return { torrent, target, torrentPath, added };
}

async function publish(env: CliEnv, path: string, options: PublishOptions): Promise<void> {
  const say = (line: string) => options.quiet || terminal(env).line(line);
  const base = catalogUrl(options.tracker);
  // The port first: a taken one must fail before the catalog lists a file nobody seeds.
  const client = await seedClient(env, options);
  let published: Published;
  try {
    published = await makeAndPublish(
      env,
      resolve(env.cwd, options.dir),
      path,
      { ...options, peerName: options.name },
    );
  } catch (error) {
    await client.close();
    throw error;
  }
  const { torrent, target, torrentPath, added } = published;
  if (options.json) {
    env.stdout.write(
      `${
        JSON.stringify({
          published: torrent.name,
          infoHash: torrent.infoHash.hex,
          added,
          tracker: base,
          torrentPath,
        })
      }\n`,
    );
  }
  say(
    added
      ? `published ${torrent.name} (${torrent.infoHash.hex}) to ${base}`
      : `${torrent.name} (${torrent.infoHash.hex}) was already published on ${base}`,
  );
  await runSeed(env, [torrentPath], { ...options, dir: dirname(target) }, client);
}
