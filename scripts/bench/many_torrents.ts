// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `many`: one `p2p seed` process serving 1,000 small torrents (1 MiB of
 * random data each, one file per torrent) on one port, on loopback:
 * - start-up: from spawning the seed until it has printed its `seeding`
 *   line for every torrent (the rechecks of all 1,000 included);
 * - its peak memory over the whole section (the kernel's high-water mark,
 *   VmHWM, of the deno process, which is the seed's direct child);
 * - how long its 1,000 announces take to reach the tracker (scrapes);
 * - then one aria2c fetching three of the torrents at once from it, timed,
 *   with the files checked byte for byte against the originals.
 *
 * Targets: under 10 s to start, under 200 MB peak. Measured once
 * (`--size-mib` and `--runs` do not apply): a run rechecks 1 GiB.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BencodeDict, decode } from "../../src/bencode/mod.ts";
import { choosePieceLength, createMetainfo } from "../../src/metainfo/mod.ts";
import { aria2cLeech } from "../../tests/real_clients.ts";
import { P2P_COMMAND } from "../p2p_runtime.ts";
import { formatMemory, printTarget } from "./measure.ts";

const TORRENTS = 1000;
const COUNT = TORRENTS.toLocaleString("en-US");
const FILE_BYTES = 1 << 20;
/** Torrents aria2c fetches: the first, one in the middle and the last given to the seed. */
const FETCHED = [1, 500, 1000];
const STARTUP_TIMEOUT_MS = 120_000;
const ANNOUNCE_TIMEOUT_MS = 60_000;
const FETCH_TIMEOUT_MS = 120_000;
/** Info hashes per scrape request. */
const SCRAPE_BATCH = 50;
const STOP_TIMEOUT_MS = 10_000;
const SEEDING = /^seeding (\S+) \(([0-9a-f]{40})\) on port (\d+)$/;
const CHECKING = /^Checking (\S+):/;

interface Line {
  /** Milliseconds since the process was spawned. */
  readonly at: number;
  readonly text: string;
}

/** Reads `stream` to its end, calling `onLine` with every line and when it arrived. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  started: number,
  onLine: (line: Line) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const at = performance.now() - started;
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const text of parts) onLine({ at, text });
  }
  if (rest) onLine({ at: performance.now() - started, text: rest });
}

/** `promise`, or an error saying `message()` if it takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after a while; waits for it. */
async function stop(child: Deno.ChildProcess | undefined): Promise<void> {
  if (!child) return;
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch {
      // gone already
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), STOP_TIMEOUT_MS);
  try {
    await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/** VmHWM (peak resident memory) or VmRSS of a live process, bytes; 0 once it is gone. */
async function procMemory(pid: number, field: "VmHWM" | "VmRSS"): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
  } catch {
    return 0;
  }
}

/** `p2p tracker` on a free loopback port; resolves with its announce URL. */
async function startTracker(dir: string): Promise<{ child: Deno.ChildProcess; url: string }> {
  const [deno, ...args] = P2P_COMMAND;
  const child = new Deno.Command(deno, {
    args: [...args, "tracker", "-q", "-p", "0", "-d", dir],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let resolveUrl!: (url: string) => void;
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  const reading = readLines(child.stdout, performance.now(), ({ text }) => {
    const match = /listening on (\S+)/.exec(text);
    if (match) resolveUrl(match[1]);
  });
  try {
    return {
      child,
      url: await withTimeout(
        Promise.race([
          url,
          reading.then(() => {
            throw new Error("p2p tracker ended before it was listening");
          }),
        ]),
        STARTUP_TIMEOUT_MS,
        () => "p2p tracker did not start listening within 120 s",
      ),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** Writes 1 MiB of random data and its torrent for each of the 1,000, numbered from 1. */
async function makeTorrents(dataDir: string, torrentDir: string, announce: string) {
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.mkdir(torrentDir, { recursive: true });
  const pieceLength = choosePieceLength(FILE_BYTES);
  const data = new Uint8Array(FILE_BYTES);
  const torrents: string[] = [];
  for (let i = 1; i <= TORRENTS; i++) {
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    const name = `f${String(i).padStart(4, "0")}.bin`;
    const hashes = new Uint8Array(Math.ceil(FILE_BYTES / pieceLength) * 20);
    for (let piece = 0; piece * pieceLength < FILE_BYTES; piece++) {
      const digest = createHash("sha1")
        .update(data.subarray(piece * pieceLength, (piece + 1) * pieceLength)).digest();
      hashes.set(digest, piece * 20);
    }
    const torrent = join(torrentDir, `t${String(i).padStart(4, "0")}.torrent`);
    await Deno.writeFile(join(dataDir, name), data);
    await Deno.writeFile(
      torrent,
      createMetainfo({
        name,
        layout: { kind: "single", length: FILE_BYTES },
        pieceLength,
        pieceHashes: hashes,
        trackers: [announce],
      }),
    );
    torrents.push(torrent);
  }
  return { torrents, pieceLength };
}

/**
 * How many of `infoHashes` (hex) the tracker lists a seeder for, by BEP 48
 * scrapes. aria2c announces once and, told of no peers, waits the
 * tracker's interval (30 min) before asking again, so it must not start
 * before the seed's announces have all reached the tracker.
 */
async function seededOnTracker(announce: string, infoHashes: readonly string[]): Promise<number> {
  const base = announce.replace(/\/announce$/, "/scrape");
  let seeded = 0;
  for (let at = 0; at < infoHashes.length; at += SCRAPE_BATCH) {
    const query = infoHashes.slice(at, at + SCRAPE_BATCH)
      .map((hex) => `info_hash=${hex.replace(/../g, "%$&")}`).join("&");
    const response = await fetch(`${base}?${query}`);
    const answer = decode(new Uint8Array(await response.arrayBuffer()));
    const files = answer instanceof BencodeDict ? answer.get("files") : undefined;
    if (!(files instanceof BencodeDict)) {
      throw new Error(`p2p tracker's scrape answer has no files`);
    }
    for (const counts of files.values()) {
      if (counts instanceof BencodeDict && Number(counts.get("complete")) >= 1) seeded++;
    }
  }
  return seeded;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One `p2p seed` with 1,000 torrents: start-up, peak memory, and aria2c fetching three. */
export async function benchManyTorrents(dir: string): Promise<void> {
  const base = join(dir, "many");
  await Deno.remove(base, { recursive: true }).catch(() => {});
  const dataDir = join(base, "data");
  const target = join(base, "leech");
  let tracker: Deno.ChildProcess | undefined;
  let seed: Deno.ChildProcess | undefined;
  const reading: Promise<void>[] = [];
  try {
    const running = await startTracker(join(base, "tracker"));
    tracker = running.child;
    const making = performance.now();
    const { torrents, pieceLength } = await makeTorrents(
      dataDir,
      join(base, "torrents"),
      running.url,
    );
    console.log(
      `\nmany: made ${COUNT} torrents of 1 MiB (${FILE_BYTES / pieceLength} pieces each) in ${
        ((performance.now() - making) / 1000).toFixed(1)
      } s`,
    );

    // Start-up: spawn to the last "seeding" line.
    const [deno, ...args] = P2P_COMMAND;
    const spawned = performance.now();
    seed = new Deno.Command(deno, {
      args: [...args, "seed", ...torrents, "-d", dataDir, "-p", "0", "--host", "127.0.0.1"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pid = seed.pid;
    let peak = 0;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await procMemory(pid, "VmHWM"));
    }, 500);
    try {
      const seeding = new Map<string, Line & { hash: string; port: string }>();
      const stderr: Line[] = [];
      let allSeeding!: () => void;
      const ready = new Promise<void>((resolve) => (allSeeding = resolve));
      reading.push(readLines(seed.stderr, spawned, (line) => stderr.push(line)));
      const stdout = readLines(seed.stdout, spawned, (line) => {
        const match = SEEDING.exec(line.text);
        if (!match) return;
        seeding.set(match[1], { ...line, hash: match[2], port: match[3] });
        if (seeding.size === TORRENTS) allSeeding();
      });
      reading.push(stdout);
      const stderrTail = () => stderr.slice(-5).map((line) => line.text).join("\n");
      await withTimeout(
        Promise.race([
          ready,
          stdout.then(() => {
            throw new Error(
              `p2p seed ended after ${seeding.size} of ${TORRENTS} seeding lines:\n${stderrTail()}`,
            );
          }),
        ]),
        STARTUP_TIMEOUT_MS,
        () =>
          `p2p seed printed ${seeding.size} of ${TORRENTS} seeding lines in ${
            STARTUP_TIMEOUT_MS / 1000
          } s; gave up:\n${stderrTail()}`,
      );
      const lines = [...seeding.values()];
      const startup = Math.max(...lines.map((line) => line.at)) / 1000;
      const ports = new Set(lines.map((line) => line.port));
      if (ports.size !== 1) throw new Error(`p2p seed listened on ${ports.size} ports`);
      const port = [...ports][0];
      const peakAtStart = await procMemory(pid, "VmHWM");

      // Where the start-up went, from when the lines arrived.
      const checks = stderr.filter((line) => CHECKING.test(line.text));
      const firstSeeding = Math.min(...lines.map((line) => line.at)) / 1000;
      const breakdown: string[] = [];
      if (checks.length === TORRENTS) {
        const first = checks[0].at / 1000;
        const last = checks[checks.length - 1].at / 1000;
        const perTorrent = (last - first) / (TORRENTS - 1) * 1000;
        breakdown.push(
          `spawn to the first "Checking" line: ${first.toFixed(2)} s ` +
            `(Deno's start-up, reading and parsing ${COUNT} .torrent files)`,
          `first to last "Checking" line: ${(last - first).toFixed(2)} s ` +
            `(${perTorrent.toFixed(1)} ms per torrent: open its file, recheck 1 MiB)`,
          `last "Checking" to the first "seeding" line: ${(firstSeeding - last).toFixed(2)} s, ` +
            `to the last: ${(startup - last).toFixed(2)} s`,
        );
      }

      // The seed's announces: until the tracker lists it for every torrent.
      const hashes = lines.map((line) => line.hash);
      let announced = 0;
      await withTimeout(
        (async () => {
          while ((announced = await seededOnTracker(running.url, hashes)) < TORRENTS) {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })(),
        ANNOUNCE_TIMEOUT_MS,
        () =>
          `the tracker listed the seed for ${announced} of ${TORRENTS} torrents ${
            ANNOUNCE_TIMEOUT_MS / 1000
          } s after it started seeding; gave up`,
      );
      const announceSeconds = (performance.now() - spawned) / 1000 - startup;

      // aria2c fetching three torrents at once.
      const [aria2c, ...ariaArgs] = aria2cLeech(torrents[FETCHED[0] - 1], target);
      const leech = new Deno.Command(aria2c, {
        args: [...ariaArgs, ...FETCHED.slice(1).map((i) => torrents[i - 1])],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const fetchStarted = performance.now();
      const killer = setTimeout(() => leech.kill("SIGKILL"), FETCH_TIMEOUT_MS);
      const result = await leech.output().finally(() => clearTimeout(killer));
      const fetchSeconds = (performance.now() - fetchStarted) / 1000;
      if (!result.success) {
        const output = new TextDecoder().decode(result.stdout) +
          new TextDecoder().decode(result.stderr);
        throw new Error(
          `aria2c failed (exit ${result.code}${
            result.signal ? `, ${result.signal} after ${FETCH_TIMEOUT_MS / 1000} s` : ""
          }): ${output.slice(-2000)}`,
        );
      }
      let identical = 0;
      for (const i of FETCHED) {
        const name = `f${String(i).padStart(4, "0")}.bin`;
        const got = await Deno.readFile(join(target, name)).catch(() => new Uint8Array(0));
        if (sameBytes(got, await Deno.readFile(join(dataDir, name)))) identical++;
      }
      peak = Math.max(peak, await procMemory(pid, "VmHWM"));

      console.log(`\nmany: one p2p seed, ${COUNT} torrents of 1 MiB on one port (${port})`);
      console.log(`  ${"figure".padEnd(50)}${"value".padStart(20)}`);
      for (
        const [label, value] of [
          [`start-up (spawn to ${COUNT} "seeding" lines)`, `${startup.toFixed(2)} s`],
          ['peak memory by the last "seeding" line', formatMemory(peakAtStart)],
          ["peak memory over the whole section (VmHWM)", formatMemory(peak)],
          [
            `tracker lists the seed for all ${COUNT}, after that`,
            `${announceSeconds.toFixed(2)} s`,
          ],
          [`aria2c fetching ${FETCHED.length} torrents at once`, `${fetchSeconds.toFixed(2)} s`],
        ]
      ) {
        console.log(`  ${label.padEnd(50)}${value.padStart(20)}`);
      }
      for (const line of breakdown) console.log(`  ${line}`);
      printTarget("under 10 s to start", startup < 10, `${startup.toFixed(2)} s`);
      printTarget("under 200 MB peak", peak < 200e6, `${formatMemory(peak)} peak`);
      printTarget(
        "aria2c's files equal the originals",
        identical === FETCHED.length,
        `${identical} of ${FETCHED.length} (t${
          FETCHED.map((i) => String(i).padStart(4, "0")).join(", t")
        })`,
      );
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await stop(seed);
    await stop(tracker);
    await Promise.allSettled(reading);
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}
