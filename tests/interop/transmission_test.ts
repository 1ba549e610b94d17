/**
 * Interop with Transmission 3.00, which refuses loopback peers: it runs in a
 * network namespace of the test's own, p2p on our side of a veth pair. It
 * downloads from `p2p seed` given the .torrent or only the magnet link (the
 * metadata then comes from us, BEP 9), and `p2p get` downloads from it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { magnetOf, parseMetainfo } from "../../src/metainfo/mod.ts";
import { needsTools, runP2p, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { transmissionCli, type TransmissionEncryption } from "../real_clients.ts";
import { runGet, writeLayout } from "../session/swarm_helpers.ts";
import { canMakeNetworkNamespaces, createGuestHost, type GuestHost } from "./network_namespace.ts";

/** Transmission waits for its own pulses (interest, unchoke every 10 s) before it moves. */
const TRANSMISSION_DEADLINE_MS = 90_000;

async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await child.status;
}

async function waitForSameBytes(expected: Uint8Array, path: string): Promise<void> {
  const deadline = Date.now() + TRANSMISSION_DEADLINE_MS;
  while (Date.now() < deadline) {
    const got = await Deno.readFile(path).catch(() => undefined);
    if (got && got.length === expected.length && got.every((byte, i) => byte === expected[i])) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${path} never became a copy of the original`);
}

/** A tracker and a torrent of a 20 MB file on our end of a link to a namespace. */
interface TransmissionSwarm {
  readonly dir: string;
  readonly guest: GuestHost;
  /** The .torrent, announcing to the tracker on our end of the link. */
  readonly torrent: string;
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
   * its settings in the folder `config` (its encryption setting as given);
   * killed when the test ends.
   */
  startTransmission(
    torrent: string,
    download: string,
    config: string,
    options?: { encryption?: TransmissionEncryption },
  ): Promise<Deno.ChildProcess>;
}

/** Runs `test` with a fresh namespace, tracker and torrent, and stops everything it started. */
async function withTransmissionSwarm(test: (swarm: TransmissionSwarm) => Promise<void>) {
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
function assertServed(seed: P2pProcess, guest: GuestHost): void {
  assert.match(seed.stderr(), new RegExp(`${guest.guestAddress.replaceAll(".", "\\.")}:`));
}

Deno.test({
  name: "interop: Transmission downloads from p2p seed, and p2p get from Transmission",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        // Transmission leeches from p2p seed.
        const seed = await startSeed();
        const leecher = await startTransmission(torrent, "tr-leech", "tr1");
        await waitForSameBytes(original, join(dir, "tr-leech", "film.bin"));
        assertServed(seed, guest);
        // It kept to the request queue we offered in our extension handshake (reqq).
        assert.doesNotMatch(seed.stderr(), /requests waiting/);
        await stopProcess(leecher);
        await seed.stop();

        // p2p get downloads from Transmission seeding the copy it just made.
        await startTransmission(torrent, "tr-leech", "tr2");
        const got = await runGet(
          dir,
          torrent,
          join(dir, "got"),
          "--host",
          guest.hostAddress,
          "-p",
          "0",
          "--timeout",
          String(TRANSMISSION_DEADLINE_MS / 1000),
        );
        assert.equal(got.code, 0, got.stderr);
        assert.deepEqual(await Deno.readFile(join(dir, "got", "film.bin")), original);
        assert.deepEqual(Object.keys(got.summary!.peers).map((peer) => peer.split(":")[0]), [
          guest.guestAddress,
        ]);
      },
    ),
});

Deno.test({
  name:
    "interop: Transmission requiring encryption downloads from p2p seed --encryption require, and p2p get --encryption require from it",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        const required = { encryption: 2 } as const;
        const encrypted = (direction: string) =>
          new RegExp(
            `^${
              guest.guestAddress.replaceAll(".", "\\.")
            }:\\d+: connected ${direction}, encrypted \\(RC4\\) over TCP$`,
            "m",
          );
        const seed = await startSeed("--encryption", "require");
        const leecher = await startTransmission(torrent, "tr-leech", "tr1", required);
        await waitForSameBytes(original, join(dir, "tr-leech", "film.bin"));
        assert.match(seed.stderr(), encrypted("(from|to)"));
        assert.doesNotMatch(seed.stderr(), /: connected (from|to), plaintext over \w+$/m);
        await stopProcess(leecher);
        await seed.stop();

        await startTransmission(torrent, "tr-leech", "tr2", required);
        const got = await runGet(
          dir,
          torrent,
          join(dir, "got"),
          "--host",
          guest.hostAddress,
          "-p",
          "0",
          "--encryption",
          "require",
          "-v",
          "--timeout",
          String(TRANSMISSION_DEADLINE_MS / 1000),
        );
        assert.equal(got.code, 0, got.stderr);
        assert.deepEqual(await Deno.readFile(join(dir, "got", "film.bin")), original);
        assert.match(got.stderr, encrypted("(from|to)"));
        assert.doesNotMatch(got.stderr, /: connected (from|to), plaintext over \w+$/m);
      },
    ),
});

Deno.test({
  name: "interop: Transmission given a magnet link fetches the metadata and the data from p2p seed",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        const seed = await startSeed();
        // The tracker (on our end of the link) is the only way to us: the link names no peers.
        const metainfo = parseMetainfo(await Deno.readFile(torrent));
        const magnet = magnetOf(metainfo);
        assert.match(magnet, /&tr=/);
        assert.doesNotMatch(magnet, /x\.pe=/);
        await startTransmission(magnet, "tr-magnet", "tr-config");
        await waitForSameBytes(original, join(dir, "tr-magnet", "film.bin"));
        assertServed(seed, guest);
        // It keeps the .torrent it built around the info dictionary it fetched from us.
        const rebuilt = await Deno.readFile(
          join(dir, "tr-config", "torrents", `${metainfo.infoHash.hex}.torrent`),
        );
        assert.equal(parseMetainfo(rebuilt).infoHash.hex, metainfo.infoHash.hex);
      },
    ),
});
