/**
 * A network namespace with Transmission 3.00 in it, and on our end of the
 * veth pair a `p2p tracker`, a torrent of a 20 MB file and `p2p seed`s of
 * it: the swarm every Transmission interop test starts from (Transmission
 * refuses loopback peers, `shared/REAL-CLIENTS.md`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runP2p, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { transmissionCli, type TransmissionEncryption } from "../real_clients.ts";
import { type GetSummary, runGet, writeLayout } from "../session/swarm_helpers.ts";
import { createGuestHost, type GuestHost } from "./network_namespace.ts";

/** Transmission waits for its own pulses (interest, unchoke every 10 s) before it moves. */
export const TRANSMISSION_DEADLINE_MS = 90_000;

/** Kills a process (SIGKILL) and waits for it. */
export async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await child.status;
}

/** Waits until the file at `path` holds `expected`, for up to `ms` (throws then). */
export async function waitForSameBytes(
  expected: Uint8Array,
  path: string,
  ms = TRANSMISSION_DEADLINE_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = await Deno.readFile(path).catch(() => undefined);
    if (got && got.length === expected.length && got.every((byte, i) => byte === expected[i])) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${path} did not become a copy of the original within ${ms} ms`);
}

/** A tracker and a torrent of a 20 MB file on our end of a link to a namespace. */
export interface TransmissionSwarm {
  readonly dir: string;
  readonly guest: GuestHost;
  /** The .torrent, announcing to the tracker on our end of the link. */
  readonly torrent: string;
  /** The tracker's announce URL, on our end of the link. */
  readonly announceUrl: string;
  /** The file's bytes; the file itself is `original/film.bin` under `dir`. */
  readonly original: Uint8Array;
  /**
   * Starts `p2p seed -v` of the torrent on our end of the link, with `extra`
   * options; stopped when the test ends.
   */
  startSeed(...extra: string[]): Promise<P2pProcess>;
  /**
   * Starts transmission-cli inside the namespace on `torrent` (a .torrent or
   * a magnet link), downloading into the folder `download` under `dir` with
   * its settings in the folder `config` (its encryption setting as given,
   * µTP on with `utp`, see {@link transmissionCli}); killed when the test ends.
   */
  startTransmission(
    torrent: string,
    download: string,
    config: string,
    options?: { encryption?: TransmissionEncryption; utp?: boolean },
  ): Promise<Deno.ChildProcess>;
}

/** Runs `test` with a fresh namespace, tracker and torrent, and stops everything it started. */
export async function withTransmissionSwarm(test: (swarm: TransmissionSwarm) => Promise<void>) {
  await withTempDir(async (dir) => {
    const guest = await createGuestHost();
    const p2p: P2pProcess[] = [];
    const transmissions: Deno.ChildProcess[] = [];
    try {
      const { tracker, announceUrl } = await spawnTracker(
        dir,
        join(dir, "tracker"),
        "--host",
        guest.hostAddress,
      );
      p2p.push(tracker);
      await writeLayout(join(dir, "original"), { "film.bin": 20_000_000 });
      const torrent = join(dir, "film.torrent");
      const made = await runP2p(
        dir,
        "make-torrent",
        join(dir, "original", "film.bin"),
        "-t",
        announceUrl,
        "-l",
        "256K",
        "-o",
        torrent,
        "-q",
      );
      assert.equal(made.code, 0, made.stderr);
      await test({
        dir,
        guest,
        torrent,
        announceUrl,
        original: await Deno.readFile(join(dir, "original", "film.bin")),
        async startSeed(...extra) {
          const seed = spawnP2p(
            dir,
            "seed",
            torrent,
            "-d",
            join(dir, "original"),
            "--host",
            guest.hostAddress,
            "-p",
            "0",
            "-v",
            ...extra,
          );
          p2p.push(seed);
          await seed.waitForLine(/^seeding /);
          return seed;
        },
        async startTransmission(torrent, download, config, options = {}) {
          const [program, ...args] = guest.inside(
            await transmissionCli(torrent, join(dir, download), join(dir, config), options),
          );
          // Its progress line is rewritten many times a second: nobody reads it.
          const child = new Deno.Command(program, { args, stdout: "null", stderr: "null" }).spawn();
          transmissions.push(child);
          return child;
        },
      });
    } finally {
      await Promise.all(transmissions.map(stopProcess));
      await Promise.all(p2p.map((process) => process.stop("SIGKILL")));
      await guest.remove();
    }
  });
}

/** The seed's log names the namespace's address: Transmission connected to it. */
export function assertServed(seed: P2pProcess, guest: GuestHost): void {
  assert.match(seed.stderr(), new RegExp(`${guest.guestAddress.replaceAll(".", "\\.")}:`));
}

/**
 * `p2p get` of the swarm's film from Transmission seeding in the namespace,
 * listening on the host's side of the veth pair: the bytes must be the
 * original's, from that one peer. Returns its stderr for the caller's own checks.
 */
export async function getFromTransmission(
  swarm: Pick<TransmissionSwarm, "dir" | "guest" | "original" | "torrent">,
  ...extra: string[]
): Promise<{ stderr: string; summary?: GetSummary }> {
  const { dir, guest, original, torrent } = swarm;
  const got = await runGet(
    dir,
    torrent,
    join(dir, "got"),
    "--host",
    guest.hostAddress,
    "-p",
    "0",
    ...extra,
    "--timeout",
    String(TRANSMISSION_DEADLINE_MS / 1000),
  );
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(await Deno.readFile(join(dir, "got", "film.bin")), original);
  assert.deepEqual(Object.keys(got.summary!.peers).map((peer) => peer.split(":")[0]), [
    guest.guestAddress,
  ]);
  return got;
}
