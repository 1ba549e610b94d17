/**
 * Interop with Transmission 3.00, which refuses loopback peers: it runs in a
 * network namespace of the test's own, p2p on our side of a veth pair.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, runP2p, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { transmissionCli } from "../real_clients.ts";
import { runGet, writeLayout } from "../session/swarm_helpers.ts";
import { canMakeNetworkNamespaces, createGuestHost } from "./network_namespace.ts";

/** Transmission waits for its own pulses (interest, unchoke every 10 s) before it moves. */
const TRANSMISSION_DEADLINE_MS = 90_000;

function startTransmission(command: string[]): Deno.ChildProcess {
  // Its progress line is rewritten many times a second: nobody reads it.
  return new Deno.Command(command[0], { args: command.slice(1), stdout: "null", stderr: "null" })
    .spawn();
}

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

Deno.test({
  name: "interop: Transmission downloads from p2p seed, and p2p get from Transmission",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  async fn() {
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
        const original = await Deno.readFile(join(dir, "original", "film.bin"));
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

        // Transmission leeches from p2p seed.
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
        );
        p2p.push(seed);
        await seed.waitForLine(/^seeding /);
        const leecher = startTransmission(
          guest.inside(await transmissionCli(torrent, join(dir, "tr-leech"), join(dir, "tr1"))),
        );
        transmissions.push(leecher);
        await waitForSameBytes(original, join(dir, "tr-leech", "film.bin"));
        assert.match(seed.stderr(), new RegExp(`${guest.guestAddress.replaceAll(".", "\\.")}:`));
        // It kept to the request queue we offered in our extension handshake (reqq).
        assert.doesNotMatch(seed.stderr(), /requests waiting/);
        await stopProcess(leecher);
        await seed.stop();

        // p2p get downloads from Transmission seeding the copy it just made.
        transmissions.push(startTransmission(
          guest.inside(await transmissionCli(torrent, join(dir, "tr-leech"), join(dir, "tr2"))),
        ));
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
      } finally {
        await Promise.all(transmissions.map(stopProcess));
        await Promise.all(p2p.map((process) => process.stop("SIGKILL")));
        await guest.remove();
      }
    });
  },
});
