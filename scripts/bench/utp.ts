// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `utp` (issue #19): one file (256 MiB at most) over uTP on loopback, side
 * by side in one run, each pair of programs with uTP as the only transport
 * the seed serves or the leech dials: `p2p seed --no-tcp` to `p2p get
 * --no-tcp`, to python3-libtorrent with TCP off and to WebTorrent with uTP
 * on (which dials uTP first, and cannot fall back to TCP on a seed that has
 * none); libtorrent to libtorrent and WebTorrent to WebTorrent over uTP,
 * for reference; and p2p over TCP (seed and get at their defaults). Each
 * row has its own tracker, so that no stopped seed of an earlier row is
 * handed out. Throughput is counted from each leech's own start-of-work
 * figure (p2p's `--json` seconds, lt_peer.py's and webtorrent_peer.mjs's
 * `done S`), so start-up is left out; p2p's CPU is user+sys of both p2p
 * processes while the file moved, per GiB. Target: p2p over uTP at least
 * WebTorrent's uTP throughput (WebTorrent to WebTorrent); TCP for
 * comparison. WebTorrent's rows need its utp-native addon (.ci/run builds
 * it); without it they are left out, saying why.
 *
 * @module
 */
import { join } from "node:path";
import {
  libtorrentPeer,
  webtorrentLeech,
  webtorrentSeed,
  webTorrentUtp,
} from "../../tests/real_clients.ts";
import { waitForSeeders } from "../../tests/session/swarm_helpers.ts";
import { P2P_COMMAND, p2pSeedCommand } from "../p2p_runtime.ts";
import { ensureRandomFile, printTarget, warmCache } from "./measure.ts";
import { startUntil, stopAll } from "./peers.ts";

/** The figure: 256 MiB. */
const MAX_SIZE_MIB = 256;
const GNU_TIME = "/usr/bin/time";
/** Clock ticks per second of /proc/PID/stat's utime and stime (`getconf CLK_TCK` on Linux). */
const CLOCK_TICKS = 100;

/** One row: who seeds, who leeches, and how the leech says how long it took. */
interface Pair {
  readonly label: string;
  /** The seed's command line, given the torrent (or where the seed writes its own) and data. */
  readonly seed: (torrent: string, seedDir: string, announceUrl: string) => string[];
  /** The seed's line once it serves. */
  readonly ready: RegExp;
  /** True when the seed makes the torrent itself (WebTorrent) rather than using ours. */
  readonly seedMakesTorrent?: boolean;
  readonly leech: (torrent: string, target: string) => string[];
  /** The leech's own seconds from its stdout. */
  readonly seconds: (stdout: string) => number;
  /** Which of the two are p2p, whose CPU is counted. */
  readonly p2p: { seed: boolean; leech: boolean };
}

/** One measured row. */
interface Row {
  readonly label: string;
  /** The leech's own seconds (median of the runs). */
  readonly seconds: number;
  /** Wall seconds of the leech process, start-up included (median). */
  readonly wall: number;
  /** User+sys seconds of the p2p processes per GiB moved (median), if any is p2p. */
  readonly p2pCpuPerGiB?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** User+sys CPU seconds process `pid` has used so far (fields 14 and 15 of /proc/PID/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces; the fields after its ")" are plain.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** `done S` from lt_peer.py or webtorrent_peer.mjs. */
function doneSeconds(stdout: string): number {
  const match = stdout.match(/^done ([\d.]+)$/m);
  if (!match) throw new Error(`no "done S" line: ${stdout.slice(-500)}`);
  return Number(match[1]);
}

/** p2p get --json's seconds. */
function p2pSeconds(stdout: string): number {
  return JSON.parse(stdout.trim().split("\n").at(-1)!).seconds;
}

/** A tracker of its own (fresh directory) and a torrent of `data` announcing to it. */
async function freshSwarm(dir: string, data: string, name: string) {
  const tracker = await startUntil(
    [...P2P_COMMAND, "tracker", "-q", "-p", "0", "-d", join(dir, `tracker-${name}`)],
    /listening on (\S+)/,
  );
  const announceUrl = tracker.match[1];
  const torrent = join(dir, `${name}.torrent`);
  const [p2p, ...p2pArgs] = P2P_COMMAND;
  const made = await new Deno.Command(p2p, {
    args: [...p2pArgs, "make-torrent", data, "-t", announceUrl, "-o", torrent, "-q", "-f"],
    stdout: "null",
  }).output();
  if (!made.success) {
    await stopAll([tracker.child]);
    throw new Error("make-torrent failed");
  }
  return { tracker: tracker.child, announceUrl, torrent };
}

/** Runs one pair `runs` times: a fresh tracker, the seed once, the leech each run. */
async function measurePair(
  dir: string,
  data: string,
  sizeMiB: number,
  pair: Pair,
  name: string,
  runs: number,
): Promise<Row> {
  const swarm = await freshSwarm(dir, data, name);
  const seedDir = join(data, "..");
  const target = join(dir, `leech-${name}`);
  const torrent = pair.seedMakesTorrent ? join(dir, `${name}-seed.torrent`) : swarm.torrent;
  const children = [swarm.tracker];
  try {
    const seed = await startUntil(pair.seed(torrent, seedDir, swarm.announceUrl), pair.ready);
    children.push(seed.child);
    await waitForSeeders(swarm.announceUrl, torrent, 1);
    const seconds: number[] = [];
    const walls: number[] = [];
    const cpus: number[] = [];
    const report = await Deno.makeTempFile({ prefix: "p2p-bench-time-" });
    try {
      for (let run = 0; run < runs; run++) {
        await Deno.remove(target, { recursive: true }).catch(() => {});
        const seedBefore = await cpuSeconds(seed.child.pid);
        const command = pair.leech(torrent, target);
        const output = await new Deno.Command(GNU_TIME, {
          args: ["-f", "%e %U %S", "-o", report, ...command],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const seedCpu = (await cpuSeconds(seed.child.pid)) - seedBefore;
        if (!output.success) {
          const stderr = new TextDecoder().decode(output.stderr);
          throw new Error(`${pair.label} failed (exit ${output.code}): ${stderr.slice(-2000)}`);
        }
        const [wall, user, sys] = (await Deno.readTextFile(report)).trim().split("\n").at(-1)!
          .split(" ").map(Number);
        seconds.push(pair.seconds(new TextDecoder().decode(output.stdout)));
        walls.push(wall);
        const cpu = (pair.p2p.seed ? seedCpu : 0) + (pair.p2p.leech ? user + sys : 0);
        cpus.push(cpu / (sizeMiB / 1024));
      }
    } finally {
      await Deno.remove(report);
      await Deno.remove(target, { recursive: true }).catch(() => {});
    }
    return {
      label: pair.label,
      seconds: median(seconds),
      wall: median(walls),
      ...(pair.p2p.seed || pair.p2p.leech ? { p2pCpuPerGiB: median(cpus) } : {}),
    };
  } finally {
    await stopAll(children);
  }
}

/** The pairs measured, p2p's first; WebTorrent's only where its uTP addon loads. */
function pairs(withWebTorrent: boolean): Pair[] {
  const p2pSeed = (...extra: string[]) => (torrent: string, seedDir: string) =>
    p2pSeedCommand(torrent, seedDir, ...extra);
  const p2pGet = (...extra: string[]) => (torrent: string, target: string) => [
    ...P2P_COMMAND,
    "get",
    torrent,
    "-d",
    target,
    "--json",
    ...extra,
  ];
  const ltUtp = (mode: "seed" | "leech") => (torrent: string, dir: string) =>
    libtorrentPeer(mode, torrent, dir, 600, { transport: "utp" });
  const wtLeech = (torrent: string, target: string) =>
    webtorrentLeech(torrent, target, { utp: true });
  const list: Pair[] = [
    {
      label: "p2p seed -> p2p get (TCP, defaults)",
      seed: p2pSeed(),
      ready: /seeding/,
      leech: p2pGet(),
      seconds: p2pSeconds,
      p2p: { seed: true, leech: true },
    },
    {
      label: "p2p seed -> p2p get (uTP)",
      seed: p2pSeed("--no-tcp"),
      ready: /seeding/,
      leech: p2pGet("--no-tcp"),
      seconds: p2pSeconds,
      p2p: { seed: true, leech: true },
    },
    {
      label: "p2p seed -> libtorrent (uTP)",
      seed: p2pSeed("--no-tcp"),
      ready: /seeding/,
      leech: ltUtp("leech"),
      seconds: doneSeconds,
      p2p: { seed: true, leech: false },
    },
  ];
  if (withWebTorrent) {
    list.push({
      label: "p2p seed -> WebTorrent (uTP)",
      seed: p2pSeed("--no-tcp"),
      ready: /seeding/,
      leech: wtLeech,
      seconds: doneSeconds,
      p2p: { seed: true, leech: false },
    }, {
      label: "WebTorrent -> WebTorrent (uTP)",
      seed: (torrent, seedDir, announceUrl) =>
        webtorrentSeed(join(seedDir, "bench.bin"), announceUrl, torrent, 0, { utp: true }),
      ready: /^seeding [0-9a-f]{40} \d+$/m,
      seedMakesTorrent: true,
      leech: wtLeech,
      seconds: doneSeconds,
      p2p: { seed: false, leech: false },
    });
  }
  list.push({
    label: "libtorrent -> libtorrent (uTP)",
    seed: ltUtp("seed"),
    ready: /seeding/,
    leech: ltUtp("leech"),
    seconds: doneSeconds,
    p2p: { seed: false, leech: false },
  });
  return list;
}

/** The `utp` section of `deno task bench`. */
export async function benchUtp(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const size = Math.min(sizeMiB, MAX_SIZE_MIB);
  const seedDir = join(dir, "utp-seed");
  await Deno.mkdir(seedDir, { recursive: true });
  const data = join(seedDir, "bench.bin");
  await ensureRandomFile(data, size * 2 ** 20);
  await warmCache(data);
  const webTorrent = webTorrentUtp();
  if (!webTorrent.ok) console.log(`\nutp: WebTorrent rows left out: ${webTorrent.reason}`);
  const rows: Row[] = [];
  const chosen = pairs(webTorrent.ok);
  for (const [i, pair] of chosen.entries()) {
    rows.push(await measurePair(dir, data, size, pair, `utp${i}`, runs));
  }
  console.log(
    `\nutp: ${size} MiB on loopback, one seed to one leech, median of ${runs} run(s) ` +
      `(leech's own time; wall includes its start-up; CPU: both p2p processes)`,
  );
  console.log(
    `  ${"pair".padEnd(38)}${"MiB/s".padStart(8)}${"time".padStart(9)}${"wall".padStart(9)}${
      "p2p CPU/GiB".padStart(13)
    }`,
  );
  for (const row of rows) {
    const cpu = row.p2pCpuPerGiB === undefined ? "-" : `${row.p2pCpuPerGiB.toFixed(1)} s`;
    console.log(
      `  ${row.label.padEnd(38)}${(size / row.seconds).toFixed(1).padStart(8)}${
        row.seconds.toFixed(2).padStart(8)
      }s${row.wall.toFixed(2).padStart(8)}s${cpu.padStart(13)}`,
    );
  }
  const ours = rows.find((row) => row.label === "p2p seed -> p2p get (uTP)")!;
  const tcp = rows.find((row) => row.label === "p2p seed -> p2p get (TCP, defaults)")!;
  const theirs = rows.find((row) => row.label === "WebTorrent -> WebTorrent (uTP)");
  if (theirs) {
    const ratio = theirs.seconds / ours.seconds;
    printTarget(
      "p2p over uTP ≥ WebTorrent's uTP throughput",
      ratio >= 1,
      `${(size / ours.seconds).toFixed(1)} vs ${(size / theirs.seconds).toFixed(1)} MiB/s ` +
        `(${ratio.toFixed(2)}×)`,
    );
  } else {
    console.log(`  ----  p2p over uTP ≥ WebTorrent's uTP throughput: not measured`);
  }
  console.log(
    `  (p2p over uTP is ${(tcp.seconds / ours.seconds).toFixed(2)}× p2p's TCP throughput)`,
  );
}
