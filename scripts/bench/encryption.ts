// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `encryption`: what RC4 (MSE) costs, each encrypted row beside its
 * plaintext twin in one run, on loopback:
 * - get: the `get` file from three python3-libtorrent seeds, by `p2p get
 *   --encryption off` and libtorrent with encryption disabled (seeds with
 *   libtorrent's defaults), then by `p2p get --encryption require` and
 *   libtorrent forced to encrypt (the seeds restarted forced to encrypt).
 *   Targets: encrypted p2p get at least 0.8× our plaintext throughput (a
 *   time ratio of at most 1.25) and no slower than libtorrent encrypted;
 *   under 150 MB as in plaintext.
 * - seed: one aria2c leecher fed by `p2p seed --encryption off`, then by
 *   `p2p seed --encryption require` with aria2c requiring RC4, then by a
 *   libtorrent seed forced to encrypt; each p2p seed's peak memory; then the
 *   encrypted p2p seed's peak memory serving eight such leechers at once.
 *   Targets: the encrypted seed within 1.25× the plaintext seed's time and
 *   as fast as the libtorrent seed; under 100 MB with eight, as in plaintext.
 *
 * @module
 */
import { join } from "node:path";
import { aria2cLeech, libtorrentPeer } from "../../tests/real_clients.ts";
import { P2P_COMMAND, p2pSeedCommand } from "../p2p_runtime.ts";
import { formatMemory, measure, type Measurement, printTable, printTarget } from "./measure.ts";
import { benchEightLeechers, peakRss, prepareSwarm, startUntil, stopAll } from "./peers.ts";

/** The time ratio that 0.8× the throughput allows. */
const MAX_ENCRYPTED_TIME_RATIO = 1.25;

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Three libtorrent seeds of `torrent`, started one after the other, with `encryption` if given. */
async function startSeeds(
  torrent: string,
  seedDir: string,
  encryption?: "forced",
): Promise<Deno.ChildProcess[]> {
  const seeds: Deno.ChildProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const command = libtorrentPeer("seed", torrent, seedDir, 3600, { encryption });
      seeds.push((await startUntil(command, /seeding/)).child);
    }
  } catch (error) {
    await stopAll(seeds);
    throw error;
  }
  return seeds;
}

/** Prints `ratio` of encrypted to plaintext time against the 0.8× throughput target. */
function printThroughputTarget(what: string, encrypted: Measurement, plaintext: Measurement): void {
  const ratio = encrypted.seconds / plaintext.seconds;
  printTarget(
    `${what} at least 0.8× our plaintext throughput`,
    ratio <= MAX_ENCRYPTED_TIME_RATIO,
    `${ratio.toFixed(2)}× the plaintext time (${(1 / ratio).toFixed(2)}× its throughput)`,
  );
}

/** `p2p get` and libtorrent, plaintext then encrypted, from three libtorrent seeds. */
async function benchEncryptedGet(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  const target = join(dir, "leech");
  const clean = () => removeQuietly(target);
  const p2pGet = (policy: string) => [
    ...P2P_COMMAND,
    "get",
    torrent,
    "-d",
    target,
    "-q",
    "--encryption",
    policy,
  ];
  const lt = (encryption: "forced" | "disabled") =>
    libtorrentPeer("leech", torrent, target, 600, { encryption });
  const rows: Measurement[] = [];
  try {
    let seeds = await startSeeds(torrent, seedDir);
    try {
      rows.push(
        await measure("p2p get --encryption off", p2pGet("off"), { runs, before: clean }),
        await measure("libtorrent, encryption disabled", lt("disabled"), { runs, before: clean }),
      );
    } finally {
      await stopAll(seeds);
    }
    seeds = await startSeeds(torrent, seedDir, "forced");
    try {
      rows.push(
        await measure("p2p get --encryption require", p2pGet("require"), {
          runs,
          before: clean,
        }),
        await measure("libtorrent, encryption forced", lt("forced"), { runs, before: clean }),
      );
    } finally {
      await stopAll(seeds);
    }
    await clean();
  } finally {
    await stopAll([tracker]);
  }
  printTable(
    `encryption, get: ${sizeMiB} MiB from three libtorrent seeds (plaintext rows: seeds with ` +
      `libtorrent's defaults; encrypted rows: seeds forced to RC4), median of ${runs} runs`,
    rows,
  );
  const [plain, ltPlain, encrypted, ltEncrypted] = rows;
  printThroughputTarget("encrypted p2p get", encrypted, plain);
  printTarget(
    "encrypted p2p get no slower than libtorrent encrypted",
    encrypted.seconds <= ltEncrypted.seconds,
    `${(encrypted.seconds / ltEncrypted.seconds).toFixed(2)}× libtorrent's encrypted time ` +
      `(libtorrent's own encrypted/plaintext: ${
        (ltEncrypted.seconds / ltPlain.seconds).toFixed(2)
      }×)`,
  );
  printTarget(
    "encrypted p2p get peak memory under 150 MB, as in plaintext",
    encrypted.peakBytes < 150e6,
    `${formatMemory(encrypted.peakBytes)} (plaintext ${formatMemory(plain.peakBytes)})`,
  );
}

/** One measured aria2c leecher fed by a seed started from `seedCommand`, and the seed's peak RSS. */
async function measureFedBy(
  label: string,
  seedCommand: string[],
  leech: string[],
  options: { runs: number; before: () => Promise<void> },
): Promise<{ row: Measurement; seedPeakBytes: number }> {
  const seed = await startUntil(seedCommand, /seeding/);
  try {
    const measuring = measure(label, leech, options);
    const seedPeakBytes = await peakRss(seed.child.pid, measuring);
    return { row: await measuring, seedPeakBytes };
  } finally {
    await stopAll([seed.child]);
  }
}

/** aria2c fed by p2p seed plaintext and encrypted, and by a forced libtorrent seed; then eight. */
async function benchEncryptedSeed(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  const target = join(dir, "leech");
  const clean = () => removeQuietly(target);
  const p2pSeed = (policy: string) => p2pSeedCommand(torrent, seedDir, "--encryption", policy);
  const options = { runs, before: clean };
  try {
    const plain = await measureFedBy(
      "aria2c from p2p seed, off",
      p2pSeed("off"),
      aria2cLeech(torrent, target),
      options,
    );
    const encrypted = await measureFedBy(
      "aria2c RC4 from p2p seed, require",
      p2pSeed("require"),
      aria2cLeech(torrent, target, { requireCrypto: true }),
      options,
    );
    const lt = await measureFedBy(
      "aria2c RC4 from libtorrent, forced",
      libtorrentPeer("seed", torrent, seedDir, 3600, { encryption: "forced" }),
      aria2cLeech(torrent, target, { requireCrypto: true }),
      options,
    );
    printTable(
      `encryption, seed: ${sizeMiB} MiB to one aria2c leecher, median of ${runs} runs ` +
        `(aria2c's own ~2 s start included; peak is aria2c's)`,
      [plain.row, encrypted.row, lt.row],
    );
    console.log(
      `  p2p seed peak memory: --encryption off ${formatMemory(plain.seedPeakBytes)}, ` +
        `--encryption require ${formatMemory(encrypted.seedPeakBytes)}`,
    );
    printThroughputTarget("encrypted p2p seed", encrypted.row, plain.row);
    const ratio = encrypted.row.seconds / lt.row.seconds;
    printTarget(
      "encrypted p2p seed as fast as an encrypted libtorrent seed",
      ratio <= 1.05,
      `${ratio.toFixed(2)}× the libtorrent seed's time`,
    );

    try {
      await benchEightLeechers(p2pSeed("require"), torrent, target, {
        title: `encryption, seed: ${sizeMiB} MiB to eight aria2c leechers requiring RC4 at once`,
        target: "encrypted seed memory under 100 MB with eight leechers, as in plaintext",
      }, { requireCrypto: true });
    } finally {
      await clean();
    }
  } finally {
    await stopAll([tracker]);
  }
}

/** The `encryption` section: get, then seed. */
export async function benchEncryption(dir: string, sizeMiB: number, runs: number): Promise<void> {
  await benchEncryptedGet(dir, sizeMiB, runs);
  await benchEncryptedSeed(dir, sizeMiB, runs);
}
