/**
 * End-to-end swarm helpers: a `p2p tracker`, `p2p seed`s and `p2p get`s as
 * real processes on loopback, with data made in temporary directories.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type P2pProcess, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { runP2p, testBytes } from "../helpers.ts";

/** A tracker, a torrent of some data, and the seeds serving it. */
export interface Swarm {
  readonly dir: string;
  readonly announceUrl: string;
  readonly torrentPath: string;
  /** The original data's path: a file, or a directory for multi-file torrents. */
  readonly dataPath: string;
  readonly seeds: P2pProcess[];
  stop(): Promise<void>;
}

/** Files to put in a torrent: relative path to size. */
export type Layout = Record<string, number>;

/** Writes `layout` below `root` with deterministic bytes. */
export async function writeLayout(root: string, layout: Layout): Promise<void> {
  let seed = 1;
  for (const [path, size] of Object.entries(layout)) {
    const full = join(root, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeFile(full, testBytes(size, seed++));
  }
}

/**
 * Starts a tracker, makes a torrent of `layout` (under `name`, a directory
 * when there are several files), and starts `seedCount` seeds, each with its
 * own copy of the data.
 */
export async function startSwarm(
  dir: string,
  options: {
    name: string;
    layout: Layout;
    pieceLength: string;
    seeds: number;
    seedArgs?: string[];
  },
): Promise<Swarm> {
  const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
  const seeds: P2pProcess[] = [];
  const stop = async () => {
    await Promise.all(seeds.map((seed) => seed.stop("SIGKILL")));
    await tracker.stop();
  };
  try {
    const multi = Object.keys(options.layout).length > 1;
    const original = join(dir, "original");
    await writeLayout(multi ? join(original, options.name) : original, options.layout);
    const dataPath = join(original, multi ? options.name : Object.keys(options.layout)[0]);
    const torrentPath = join(dir, "swarm.torrent");
    const made = await runP2p(
      dir,
      "make-torrent",
      dataPath,
      "-t",
      announceUrl,
      "-l",
      options.pieceLength,
      "-o",
      torrentPath,
      "-q",
    );
    assert.equal(made.code, 0, made.stderr);
    for (let i = 0; i < options.seeds; i++) {
      const seedDir = join(dir, `seed${i + 1}`);
      await Deno.mkdir(seedDir);
      await new Deno.Command("cp", { args: ["-r", dataPath, seedDir] }).output();
      const args = options.seedArgs ?? [];
      const quiet = args.includes("-v") ? [] : ["-q"];
      const seed = spawnP2p(
        dir,
        "seed",
        torrentPath,
        "-d",
        seedDir,
        "-p",
        "0",
        ...quiet,
        "--name",
        `seed${i + 1}`,
        ...args,
      );
      seeds.push(seed);
      await seed.waitForLine(/^seeding .* on port \d+$/);
    }
    await waitForSeeders(announceUrl, torrentPath, options.seeds);
    return { dir, announceUrl, torrentPath, dataPath, seeds, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until the tracker counts `count` seeders (their first announce landed). */
export async function waitForSeeders(
  announceUrl: string,
  torrentPath: string,
  count: number,
): Promise<void> {
  const { parseMetainfo } = await import("../../src/metainfo/mod.ts");
  const { scrape } = await import("../../src/tracker/mod.ts");
  const torrent = parseMetainfo(await Deno.readFile(torrentPath));
  for (let attempt = 0; attempt < 100; attempt++) {
    const counts = (await scrape(announceUrl, [torrent.infoHash])).get(torrent.infoHash.hex);
    if ((counts?.complete ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the tracker never saw ${count} seeders`);
}

/** What `p2p get --json` reported. */
export interface GetSummary {
  name: string;
  infoHash: string;
  downloaded: number;
  alreadyPresent: number;
  totalLength: number;
  failedPieces: number;
  seconds: number;
  peers: Record<string, number>;
  /** Seconds to the metadata, for a magnet link. */
  metadataSeconds?: number;
}

/** Runs `p2p get --json` to completion and returns its summary and stderr. */
export async function runGet(
  cwd: string,
  torrentPath: string,
  target: string,
  ...extra: string[]
): Promise<{ code: number; summary?: GetSummary; stderr: string }> {
  const get = spawnP2p(
    cwd,
    "get",
    torrentPath,
    "-d",
    target,
    "--json",
    "--timeout",
    "20",
    ...extra,
  );
  const status = await get.child.status;
  await get.stop();
  const line = get.stdoutLines().find((l) => l.startsWith("{"));
  return { code: status.code, summary: line ? JSON.parse(line) : undefined, stderr: get.stderr() };
}

/** Asserts that two files or directory trees hold the same bytes. */
export async function assertSameTree(expected: string, actual: string): Promise<void> {
  const info = await Deno.stat(expected);
  if (info.isFile) {
    assert.deepEqual(await Deno.readFile(actual), await Deno.readFile(expected), actual);
    return;
  }
  const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names(actual), names(expected), actual);
  for (const name of names(expected)) {
    await assertSameTree(join(expected, name), join(actual, name));
  }
}
