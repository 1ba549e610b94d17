import { Command } from "commander";
import { parseMetainfo } from "../metainfo/mod.ts";
import { type CatalogSearchResult, downloadCatalogTorrent, searchCatalog } from "../tracker/mod.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { counted, formatBytes } from "../format.ts";
import { download, type GetOptions } from "./get.ts";
import { downloadRateOption, peerOptions } from "./options.ts";
import { integerOption } from "./value_parsers.ts";
import { seedLimitOptions } from "./seed_limits.ts";
import { terminal } from "./terminal.ts";

interface FetchOptions extends GetOptions {
  tracker: string;
  infohash?: string;
}

/**
 * `p2p fetch NAME --tracker URL`: the report's `fetch`: finds NAME in the
 * tracker's catalog and downloads it from the peers that have it.
 *
 * @example
 * ```ts
 * program.addCommand(fetchCommand(env));
 * ```
 */
export function fetchCommand(env: CliEnv): Command {
  return seedLimitOptions(downloadRateOption(peerOptions(new Command("fetch"), 0)))
    .description("find a file by name in a tracker's catalog and download it")
    .argument(
      "<name>",
      "the name it was published under (a part of it is enough when it is unique)",
    )
    .requiredOption("-t, --tracker <url>", "the p2p tracker (http://host:port or its announce URL)")
    .option("-d, --dir <dir>", "directory to download into", ".")
    .option("--infohash <hex>", "which torrent, when several match")
    .option("--seed", "keep seeding after the download, until interrupted")
    .option(
      "--timeout <seconds>",
      "give up after this long without data",
      integerOption(1, 86400),
      60,
    )
    .option("--json", "print a JSON summary on stdout")
    .action((name: string, options: FetchOptions) => fetch(env, name, options));
}

/**
 * A catalog search result for people, as `fetch` and the shell's `search`
 * list it: hash, name, size and swarm on one line, its magnet link (for
 * any client) on the next.
 *
 * @example
 * ```ts
 * const [summary, magnet] = describeResult(result);
 * ```
 */
export function describeResult(result: CatalogSearchResult): [string, string] {
  return [
    `${result.infoHash}  ${result.name}  ${formatBytes(result.totalLength)}, ` +
    `${counted(result.seeders, "seeder")}, ${counted(result.leechers, "leecher")}`,
    result.magnet,
  ];
}

/**
 * What NAME means among catalog search results: the exact names if any,
 * otherwise every partial match. `fetch` and the shell's `fetch` agree on it.
 *
 * @throws {CommandError} "not found on tracker" when nothing matches.
 * @example
 * ```ts
 * matchesOf(await searchCatalog(tracker, "eBook.txt"), "eBook.txt", tracker);
 * ```
 */
export function matchesOf(
  results: CatalogSearchResult[],
  name: string,
  tracker: string,
): CatalogSearchResult[] {
  const exact = results.filter((result) => result.name === name);
  const candidates = exact.length > 0 ? exact : results;
  if (candidates.length === 0) throw new CommandError(`"${name}" not found on tracker ${tracker}`);
  return candidates;
}

/** The catalog entry NAME means, asking (or wanting --infohash) when several match. */
async function choose(
  env: CliEnv,
  name: string,
  options: FetchOptions,
): Promise<CatalogSearchResult> {
  const results = await searchCatalog(options.tracker, name);
  if (options.infohash) {
    const wanted = options.infohash.toLowerCase();
    const hit = results.find((result) => result.infoHash === wanted);
    if (!hit) {
      throw new CommandError(`no torrent ${wanted} named like "${name}" on ${options.tracker}`);
    }
    return hit;
  }
  const candidates = matchesOf(results, name, options.tracker);
  if (candidates.length === 1) return candidates[0];
  terminal(env).line(`${candidates.length} torrents match "${name}":`);
  candidates.forEach((result, i) => {
    const [summary, magnet] = describeResult(result);
    terminal(env).line(`  ${i + 1}. ${summary}\n     ${magnet}`);
  });
  if (!env.interactive || !Deno.stdin.isTerminal()) {
    throw new CommandError(`several torrents match "${name}": choose one with --infohash`);
  }
  const answer = prompt(`Which one (1-${candidates.length})?`)?.trim();
  const picked = /^\d+$/.test(answer ?? "") ? candidates[Number(answer) - 1] : undefined;
  if (picked) return picked;
  throw new CommandError(
    answer ? `"${answer}" is not one of 1-${candidates.length}` : "no torrent chosen",
  );
}

async function fetch(env: CliEnv, name: string, options: FetchOptions): Promise<void> {
  const say = (line: string) => options.quiet || options.json || terminal(env).line(line);
  const chosen = await choose(env, name, options);
  say(
    `found ${chosen.name} (${chosen.infoHash}): ${formatBytes(chosen.totalLength)}, ${
      counted(chosen.seeders, "seeder")
    }`,
  );
  const torrent = parseMetainfo(await downloadCatalogTorrent(options.tracker, chosen.infoHash));
  await download(env, { kind: "torrent", metainfo: torrent }, options);
}
