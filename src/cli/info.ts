import { Command } from "commander";
import { type MagnetLink, magnetOf, type Metainfo } from "../metainfo/mod.ts";
import { startClient } from "./client_setup.ts";
import { type DiscoveryOptions, discoveryOptions } from "./discovery.ts";
import type { CliEnv } from "./env.ts";
import { writeFileList } from "./file_list.ts";
import { formatBytes, formatCount } from "../format.ts";
import { DEFAULT_STALL_TIMEOUT } from "./get.ts";
import { fetchMetadata, magnetArgument, saveTorrent } from "./magnet_source.ts";
import { integerOption } from "./value_parsers.ts";
import { readTorrentFile } from "./read_torrent.ts";
import { terminal, verboseLog } from "./terminal.ts";

/**
 * Files written per write: a torrent may list a million, and their lines
 * (or JSON) in one string, then one buffer, cost more than the torrent.
 */
const FILES_PER_WRITE = 1000;

/** How `info` runs. */
interface InfoOptions extends DiscoveryOptions {
  json?: boolean;
  timeout: number;
  port: number;
  host: string;
  saveTorrent?: string;
  verbose?: boolean;
}

/**
 * `p2p info X.torrent`: shows what a torrent holds. Given a magnet link it
 * joins the swarm just long enough to fetch the metadata from peers.
 *
 * @example
 * ```ts
 * program.addCommand(infoCommand(env));
 * ```
 */
export function infoCommand(env: CliEnv): Command {
  return discoveryOptions(new Command("info"))
    .description("show what a .torrent (or a magnet link's torrent) holds")
    .argument("<torrent>", ".torrent file, or a magnet link (its metadata is fetched from peers)")
    .option("--json", "print as JSON")
    .option(
      "--timeout <seconds>",
      "for a magnet link: give up after this long without the metadata",
      integerOption(1, 86400),
      DEFAULT_STALL_TIMEOUT,
    )
    .option(
      "-p, --port <port>",
      "for a magnet link: port to listen on (0: any free port)",
      integerOption(0, 65535),
      0,
    )
    .option("--host <address>", "for a magnet link: address to listen on", "0.0.0.0")
    .option("--save-torrent <file>", "for a magnet link: write the .torrent of its metadata")
    .option("-v, --verbose", "log every peer event")
    .action(async (argument: string, options: InfoOptions) => {
      const link = await magnetArgument(env, argument);
      const torrent = link
        ? await fetchTorrent(env, link, options)
        : await readTorrentFile(env, argument);
      if (options.json) writeJson(env, torrent);
      else writeText(env, torrent);
    });
}

/** The torrent of a magnet link: its metadata from peers, its trackers from the link. */
async function fetchTorrent(
  env: CliEnv,
  link: MagnetLink,
  options: InfoOptions,
): Promise<Metainfo> {
  const say = (line: string) => options.json || terminal(env).line(line);
  const log = verboseLog(env, options.verbose);
  say(`Fetching the metadata of ${link.name ?? link.infoHash.hex} from peers`);
  const client = await startClient(env, options, log, say);
  try {
    const { info } = await fetchMetadata(env, client, link, {
      directory: env.cwd,
      timeout: options.timeout,
      metadataOnly: true,
      log,
      stop: env.stopRequested(),
    });
    if (options.saveTorrent) {
      await saveTorrent(env, options.saveTorrent, info, link);
      say(`saved its .torrent as ${options.saveTorrent}`);
    }
    return { ...info, trackerTiers: link.trackerTiers };
  } finally {
    await client.close();
  }
}

/** The files' descriptions, `FILES_PER_WRITE` at a time. */
function* inBatches(
  torrent: Metainfo,
  describe: (file: Metainfo["files"][number]) => string,
): Generator<string[]> {
  for (let start = 0; start < torrent.files.length; start += FILES_PER_WRITE) {
    yield torrent.files.slice(start, start + FILES_PER_WRITE).map(describe);
  }
}

/** One JSON object, as `JSON.stringify` would write it, with the files written in batches. */
function writeJson(env: CliEnv, torrent: Metainfo): void {
  const { before, after } = torrentSummary(torrent);
  env.stdout.write(`${JSON.stringify(before).slice(0, -1)},"files":[`);
  const describeFile = (file: Metainfo["files"][number]) =>
    JSON.stringify({ path: file.path.join("/"), length: file.length });
  let separator = "";
  for (const batch of inBatches(torrent, describeFile)) {
    env.stdout.write(separator + batch.join(","));
    separator = ",";
  }
  env.stdout.write(`],${JSON.stringify(after).slice(1)}\n`);
}

/** The summary's fields before and after `files`, which is written on its own. */
function torrentSummary(torrent: Metainfo) {
  const before = {
    name: torrent.name,
    infoHash: torrent.infoHash.hex,
    magnet: magnetOf(torrent),
    totalLength: torrent.totalLength,
    pieceLength: torrent.pieceLength,
    pieceCount: torrent.pieceCount,
    multiFile: torrent.multiFile,
  };
  const after = {
    trackers: torrent.trackerTiers,
    private: torrent.private,
    creationDate: torrent.creationDate ?? null,
    createdBy: torrent.createdBy ?? null,
    comment: torrent.comment ?? null,
    source: torrent.source ?? null,
  };
  return { before, after };
}

function writeText(env: CliEnv, torrent: Metainfo): void {
  const rows: [string, string][] = [
    ["name", torrent.name],
    ["info hash", torrent.infoHash.hex],
    ["magnet", magnetOf(torrent)],
    ["size", `${formatBytes(torrent.totalLength)} (${formatCount(torrent.totalLength)} bytes)`],
    [
      "pieces",
      `${formatCount(torrent.pieceCount)} of ${formatBytes(torrent.pieceLength)} (${
        formatCount(torrent.pieceLength)
      } bytes)`,
    ],
    ["private", torrent.private ? "yes" : "no"],
  ];
  if (torrent.creationDate !== undefined) {
    const date = new Date(torrent.creationDate * 1000);
    rows.push([
      "created",
      Number.isNaN(date.getTime()) ? String(torrent.creationDate) : date.toISOString(),
    ]);
  }
  if (torrent.createdBy !== undefined) rows.push(["created by", torrent.createdBy]);
  if (torrent.comment !== undefined) rows.push(["comment", torrent.comment]);
  if (torrent.source !== undefined) rows.push(["source", torrent.source]);
  if (torrent.trackerTiers.length === 0) rows.push(["trackers", "none"]);
  torrent.trackerTiers.forEach((tier, i) => rows.push([i === 0 ? "trackers" : "", tier.join(" ")]));
  const lines = rows.map(([label, value]) => `${label.padEnd(12)}${value}`);
  lines.push(`files       ${formatCount(torrent.files.length)}`);
  env.stdout.write(lines.join("\n") + "\n");
  writeFileList(env, torrent);
}
