import { Command } from "commander";
import { magnetOf, type Metainfo } from "../metainfo/mod.ts";
import type { CliEnv } from "./env.ts";
import { formatBytes, formatCount } from "./format.ts";
import { readTorrentFile } from "./read_torrent.ts";

/**
 * Files written per write: a torrent may list a million, and their lines
 * (or JSON) in one string, then one buffer, cost more than the torrent.
 */
const FILES_PER_WRITE = 1000;

/**
 * `p2p info X.torrent`: shows what a torrent holds.
 *
 * @example
 * ```ts
 * program.addCommand(infoCommand(env));
 * ```
 */
export function infoCommand(env: CliEnv): Command {
  return new Command("info")
    .description("show what a .torrent holds")
    .argument("<torrent>", ".torrent file")
    .option("--json", "print as JSON")
    .action(async (path: string, options: { json?: boolean }) => {
      const torrent = await readTorrentFile(env, path);
      if (options.json) writeJson(env, torrent);
      else writeText(env, torrent);
    });
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
  const describeFile = (file: Metainfo["files"][number]) => {
    const path = torrent.multiFile ? [torrent.name, ...file.path].join("/") : file.path[0];
    return `  ${formatBytes(file.length).padStart(10)}  ${path}`;
  };
  for (const batch of inBatches(torrent, describeFile)) env.stdout.write(batch.join("\n") + "\n");
}
