import { Command } from "commander";
import type { Metainfo } from "../metainfo/mod.ts";
import type { CliEnv } from "./env.ts";
import { formatBytes, formatCount } from "./format.ts";
import { readTorrentFile } from "./read_torrent.ts";

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
      env.stdout.write(
        options.json ? JSON.stringify(torrentSummary(torrent)) + "\n" : describe(torrent),
      );
    });
}

function torrentSummary(torrent: Metainfo) {
  return {
    name: torrent.name,
    infoHash: torrent.infoHash.hex,
    totalLength: torrent.totalLength,
    pieceLength: torrent.pieceLength,
    pieceCount: torrent.pieceCount,
    multiFile: torrent.multiFile,
    files: torrent.files.map((file) => ({ path: file.path.join("/"), length: file.length })),
    trackers: torrent.trackerTiers,
    private: torrent.private,
    creationDate: torrent.creationDate ?? null,
    createdBy: torrent.createdBy ?? null,
    comment: torrent.comment ?? null,
    source: torrent.source ?? null,
  };
}

function describe(torrent: Metainfo): string {
  const rows: [string, string][] = [
    ["name", torrent.name],
    ["info hash", torrent.infoHash.hex],
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
  for (const file of torrent.files) {
    const path = torrent.multiFile ? [torrent.name, ...file.path].join("/") : file.path[0];
    lines.push(`  ${formatBytes(file.length).padStart(10)}  ${path}`);
  }
  return lines.join("\n") + "\n";
}
