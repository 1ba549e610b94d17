import { Command } from "commander";
import { searchCatalog, unpublishTorrent } from "../tracker/mod.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";

interface UnpublishOptions {
  tracker: string;
  token?: string;
}

const HEX_HASH = /^[0-9a-fA-F]{40}$/;

/**
 * `p2p unpublish NAME|HASH --tracker URL [--token T]`: removes a torrent
 * from a tracker's catalog (its swarm goes on until its peers leave).
 *
 * @example
 * ```ts
 * program.addCommand(unpublishCommand(env));
 * ```
 */
export function unpublishCommand(env: CliEnv): Command {
  return new Command("unpublish")
    .description("remove a torrent from a tracker's catalog")
    .argument("<name|hash>", "the torrent's exact name in the catalog, or its info hash")
    .requiredOption("-t, --tracker <url>", "the p2p tracker (http://host:port or its announce URL)")
    .option(
      "--token <token>",
      "the tracker's publish token (without one, a tracker takes it from its own machine only)",
    )
    .action((target: string, options: UnpublishOptions) => unpublish(env, target, options));
}

/**
 * The info hash a NAME or HASH means: a hash as given; a name only when
 * exactly one torrent has it, whole (removing is not undone, so a partial
 * match is not taken).
 */
async function infoHashOf(env: CliEnv, target: string, tracker: string): Promise<string> {
  if (HEX_HASH.test(target)) return target.toLowerCase();
  const named = (await searchCatalog(tracker, target)).filter((entry) => entry.name === target);
  if (named.length === 1) return named[0].infoHash;
  if (named.length === 0) {
    throw new CommandError(`no torrent named "${target}" on tracker ${tracker}`);
  }
  for (const entry of named) env.stderr.write(`  ${entry.infoHash}  ${entry.name}\n`);
  throw new CommandError(
    `${named.length} torrents are named "${target}": unpublish one by its info hash`,
  );
}

async function unpublish(env: CliEnv, target: string, options: UnpublishOptions): Promise<void> {
  const hex = await infoHashOf(env, target, options.tracker);
  const { infoHash, name } = await unpublishTorrent(options.tracker, hex, { token: options.token });
  env.stdout.write(`${infoHash}  ${name}\n`);
}
