// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * Peer-wire benchmarks on loopback, side by side in one run:
 * - `get` (issue #5): a 1 GiB file from three python3-libtorrent seeds,
 *   downloaded by `p2p get`, aria2c and libtorrent in turn; wall time and
 *   peak memory. Targets: faster than aria2c, aiming at libtorrent's time;
 *   under 150 MB.
 * - `magnet`: the same swarm, reached through a magnet link naming only
 *   the tracker: `p2p get MAGNET` and libtorrent given the same link, time
 *   to the metadata and to the complete file; then `p2p get X.torrent`.
 *   Targets: p2p has the metadata no later than libtorrent; the magnet
 *   download takes within 1.1× the .torrent download.
 * - `seed` (issue #4): one aria2c leecher fed by `p2p seed`, then by a
 *   libtorrent seed, as a ratio; and the seed's peak memory while serving
 *   the torrent to eight aria2c leechers at once. Target: under 100 MB.
 *
 * @module
 */
import { join } from "node:path";
import { magnetOf, parseMetainfo } from "../../src/metainfo/mod.ts";
import { aria2cLeech, libtorrentPeer } from "../../tests/real_clients.ts";
import { P2P_COMMAND, p2pSeedCommand } from "../p2p_runtime.ts";
import {
  ensureRandomFile,
  type FigureReader,
  formatMemory,
  measure,
  printFigureTable,
  printTable,
  printTarget,
  warmCache,
} from "./measure.ts";

/** Starts a background process and waits for a stdout line matching `ready`. */
export async function startUntil(
  command: string[],
  ready: RegExp,
): Promise<{ child: Deno.ChildProcess; match: RegExpMatchArray }> {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    while (true) {
      const match = seen.match(ready);
      if (match) {
        // Keep draining stdout so the process never blocks on a full pipe.
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return { child, match };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`${command.join(" ")} ended before it was ready: ${seen}`);
      seen += value;
    }
  } finally {
    clearTimeout(deadline);
  }
}

/** Stops background processes and waits for them. */
export async function stopAll(children: Deno.ChildProcess[]): Promise<void> {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // gone already
    }
  }
  await Promise.all(children.map((child) => child.status));
}

/** A running tracker and a torrent of a random file of `sizeMiB` announcing to it. */
export async function prepareSwarm(dir: string, sizeMiB: number) {
  const seedDir = join(dir, "seed");
  await Deno.mkdir(seedDir, { recursive: true });
  const data = join(seedDir, "bench.bin");
  await ensureRandomFile(data, sizeMiB * 2 ** 20);
  await warmCache(data);
  const tracker = await startUntil(
    [...P2P_COMMAND, "tracker", "-q", "-p", "0", "-d", join(dir, "tracker")],
    /listening on (\S+)/,
  );
  const torrent = join(dir, "bench.torrent");
  const [p2p, ...p2pArgs] = P2P_COMMAND;
  const made = await new Deno.Command(p2p, {
    args: [...p2pArgs, "make-torrent", data, "-t", tracker.match[1], "-o", torrent, "-q", "-f"],
    stdout: "null",
  }).output();
  if (!made.success) throw new Error("make-torrent failed");
  return { seedDir, torrent, tracker: tracker.child };
}

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Starts `count` libtorrent seeds of `torrent` one after the other, each once it says it seeds. */
async function startLibtorrentSeeds(
  torrent: string,
  seedDir: string,
  count: number,
  seeds: Deno.ChildProcess[],
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const seed = await startUntil(libtorrentPeer("seed", torrent, seedDir, 3600), /seeding/);
    seeds.push(seed.child);
  }
}

/** `p2p get` against aria2c and libtorrent, each leeching from the same three libtorrent seeds. */
export async function benchGet(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  const seeds: Deno.ChildProcess[] = [];
  try {
    await startLibtorrentSeeds(torrent, seedDir, 3, seeds);
    const target = join(dir, "leech");
    const clean = () => removeQuietly(target);
    const rows = [
      await measure("p2p get", [...P2P_COMMAND, "get", torrent, "-d", target, "-q"], {
        runs,
        before: clean,
      }),
      await measure("aria2c", aria2cLeech(torrent, target), { runs, before: clean }),
      await measure(
        "libtorrent (python3-libtorrent)",
        libtorrentPeer("leech", torrent, target, 600),
        { runs, before: clean },
      ),
    ];
    await clean();
    printTable(`get: ${sizeMiB} MiB from three libtorrent seeds, median of ${runs} runs`, rows);
    const [ours, aria, lt] = rows;
    printTarget(
      "faster than aria2c",
      ours.seconds < aria.seconds,
      `${(ours.seconds / aria.seconds).toFixed(2)}× aria2c's time`,
    );
    printTarget(
      "as fast as libtorrent (the aim)",
      ours.seconds <= lt.seconds,
      `${(ours.seconds / lt.seconds).toFixed(2)}× libtorrent's time`,
    );
    printTarget(
      "peak memory under 150 MB",
      ours.peakBytes < 150e6,
      formatMemory(ours.peakBytes),
    );
  } finally {
    await stopAll([...seeds, tracker]);
  }
}

/** `p2p get --json`'s own figures: seconds to the metadata (magnet links only) and to the end. */
const p2pFigures: FigureReader = (stdout) => {
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  return {
    ...(summary.metadataSeconds === undefined ? {} : { metadata: summary.metadataSeconds }),
    complete: summary.seconds,
  };
};

/** lt_peer.py's `metadata S` and `done S` lines. */
const libtorrentFigures: FigureReader = (stdout) => {
  const seconds = (word: string) => {
    const match = stdout.match(new RegExp(`^${word} ([\\d.]+)$`, "m"));
    if (!match) throw new Error(`lt_peer.py printed no "${word}" line: ${stdout}`);
    return Number(match[1]);
  };
  return { metadata: seconds("metadata"), complete: seconds("done") };
};

/**
 * The `get` swarm reached through a magnet link that names only the
 * tracker: `p2p get MAGNET` and libtorrent on the same link, time to the
 * metadata and to the complete file, then `p2p get X.torrent`. The figures
 * are each program's own, counted from when it starts working (after
 * Deno's or Python's start-up); the wall column includes start-up.
 */
export async function benchMagnet(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  const magnet = magnetOf(parseMetainfo(await Deno.readFile(torrent)));
  if (!magnet.includes("&tr=") || magnet.includes("x.pe=")) {
    throw new Error(`the magnet link should name the tracker and no peers: ${magnet}`);
  }
  const seeds: Deno.ChildProcess[] = [];
  try {
    await startLibtorrentSeeds(torrent, seedDir, 3, seeds);
    const target = join(dir, "leech");
    const clean = () => removeQuietly(target);
    const p2pGet = (source: string) => [...P2P_COMMAND, "get", source, "-d", target, "--json"];
    const rows = [
      await measure("p2p get MAGNET", p2pGet(magnet), {
        runs,
        before: clean,
        figures: p2pFigures,
      }),
      await measure("libtorrent MAGNET (python3)", libtorrentPeer("leech", magnet, target, 600), {
        runs,
        before: clean,
        figures: libtorrentFigures,
      }),
      await measure("p2p get X.torrent", p2pGet(torrent), {
        runs,
        before: clean,
        figures: p2pFigures,
      }),
    ];
    await clean();
    printFigureTable(
      `magnet: ${sizeMiB} MiB from three libtorrent seeds through a magnet link naming the tracker, ` +
        `median of ${runs} runs (own timings from each program's start; wall includes start-up)`,
      rows,
      [{ figure: "metadata", heading: "metadata" }, { figure: "complete", heading: "complete" }],
    );
    const [ours, lt, fromTorrent] = rows.map((row) => row.figures);
    printTarget(
      "p2p has the metadata no later than libtorrent",
      ours.metadata <= lt.metadata,
      `${(ours.metadata / lt.metadata).toFixed(2)}× libtorrent's time to metadata (${
        ours.metadata.toFixed(3)
      } s vs ${lt.metadata.toFixed(3)} s)`,
    );
    const ratio = ours.complete / fromTorrent.complete;
    printTarget(
      "p2p magnet download within 1.1× the .torrent download",
      ratio <= 1.1,
      `${ratio.toFixed(2)}× (${ours.complete.toFixed(2)} s vs ${
        fromTorrent.complete.toFixed(2)
      } s)`,
    );
  } finally {
    await stopAll([...seeds, tracker]);
  }
}

/** The largest resident set size of process `pid` seen every 100 ms until `until` settles. */
export async function peakRss(pid: number, until: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  until.finally(() => (done = true));
  while (!done) {
    try {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024);
    } catch {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return peak;
}

/**
 * Eight aria2c leechers fetching `torrent` into `target` at once from the
 * seed with process id `seedPid`: the seed's peak memory, the time, and
 * how many leechers failed.
 */
export async function eightLeechers(
  seedPid: number,
  torrent: string,
  target: string,
  options: { requireCrypto?: boolean } = {},
): Promise<{ peak: number; seconds: number; failed: number }> {
  const leechers = Array.from({ length: 8 }, (_, i) => {
    const [command, ...args] = aria2cLeech(torrent, join(target, String(i)), options);
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
  });
  const started = performance.now();
  const all = Promise.all(leechers);
  const peak = await peakRss(seedPid, all);
  const results = await all;
  const seconds = (performance.now() - started) / 1000;
  return { peak, seconds, failed: results.filter((result) => !result.success).length };
}

/**
 * Starts the seed `seedCommand`, feeds {@link eightLeechers} from it, and
 * prints the time and the target: peak memory under 100 MB, no leecher failed.
 */
export async function benchEightLeechers(
  seedCommand: string[],
  torrent: string,
  target: string,
  labels: { readonly title: string; readonly target: string },
  options: { requireCrypto?: boolean } = {},
): Promise<void> {
  const seed = await startUntil(seedCommand, /seeding/);
  try {
    const { peak, seconds, failed } = await eightLeechers(seed.child.pid, torrent, target, options);
    console.log(`\n${labels.title}: ${seconds.toFixed(1)} s, ${failed} failed`);
    printTarget(labels.target, peak < 100e6 && failed === 0, `${formatMemory(peak)} peak`);
  } finally {
    await stopAll([seed.child]);
  }
}

/** One aria2c leecher fed by `p2p seed`, then by a libtorrent seed; then eight leechers on `p2p seed`. */
export async function benchSeed(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  const target = join(dir, "leech");
  const clean = () => removeQuietly(target);
  const rows = [];
  try {
    for (
      const [label, command, ready] of [
        [
          "aria2c leech from p2p seed",
          p2pSeedCommand(torrent, seedDir),
          /seeding/,
        ],
        [
          "aria2c leech from libtorrent seed",
          libtorrentPeer("seed", torrent, seedDir, 3600),
          /seeding/,
        ],
      ] as const
    ) {
      const seed = await startUntil([...command], ready);
      try {
        rows.push(await measure(label, aria2cLeech(torrent, target), { runs, before: clean }));
      } finally {
        await stopAll([seed.child]);
      }
    }
    printTable(
      `seed: ${sizeMiB} MiB to one aria2c leecher, median of ${runs} runs (aria2c's own ~2 s start included)`,
      rows,
    );
    const ratio = rows[0].seconds / rows[1].seconds;
    printTarget(
      "p2p seed as fast as a libtorrent seed",
      ratio <= 1.05,
      `${ratio.toFixed(2)}× the libtorrent seed's time`,
    );

    try {
      await benchEightLeechers(p2pSeedCommand(torrent, seedDir), torrent, target, {
        title: `seed: ${sizeMiB} MiB to eight aria2c leechers at once`,
        target: "seed memory under 100 MB with eight leechers",
      });
    } finally {
      await clean();
    }
  } finally {
    await stopAll([tracker]);
  }
}
