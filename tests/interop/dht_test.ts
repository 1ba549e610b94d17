/**
 * DHT interop with python3-libtorrent on loopback, no tracker anywhere: a
 * lab's `p2p dht` node is the bootstrap node of both, and each finds the
 * other's announced peer and downloads from it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, runP2p, testBytes, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p } from "../process_helpers.ts";
import { libtorrentPeer, spawn, SYSTEM_PYTHON } from "../real_clients.ts";

/** A file and its trackerless torrent in `dir`; returns the torrent's path and info hash. */
async function trackerlessTorrent(dir: string): Promise<{ torrent: string; data: Uint8Array }> {
  const data = testBytes(3_000_000, 11);
  await Deno.mkdir(join(dir, "seed"));
  await Deno.writeFile(join(dir, "seed", "file.bin"), data);
  const made = await runP2p(dir, "make-torrent", "seed/file.bin", "-o", "file.torrent");
  assert.equal(made.code, 0, made.stderr);
  return { torrent: join(dir, "file.torrent"), data };
}

async function startRoot(dir: string): Promise<{ root: P2pProcess; node: string }> {
  const root = spawnP2p(
    dir,
    "dht",
    "-p",
    "0",
    "--host",
    "127.0.0.1",
    "--data-dir",
    join(dir, "root"),
    "-q",
  );
  const [, , port] = await root.waitForLine(/^dht node ([0-9a-f]{40}) on port (\d+)$/);
  return { root, node: `127.0.0.1:${port}` };
}

async function stopChild(child: Deno.ChildProcess): Promise<string> {
  try {
    child.kill("SIGKILL");
  } catch {
    // gone already
  }
  const output = await child.output().catch(() => undefined);
  return output
    ? new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr)
    : "";
}

Deno.test({
  name: "interop: p2p get finds a libtorrent seed through the DHT and downloads it, no tracker",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const { torrent, data } = await trackerlessTorrent(dir);
      const { root, node } = await startRoot(dir);
      const seed = spawn(libtorrentPeer("seed", torrent, join(dir, "seed"), 120, { dht: [node] }));
      try {
        const infoHash = (await runP2p(dir, "info", torrent, "--json")).stdout.match(
          /"infoHash":"([0-9a-f]{40})"/,
        )![1];
        const get = spawnP2p(
          dir,
          "get",
          infoHash,
          "-d",
          "got",
          "-p",
          "0",
          "--host",
          "127.0.0.1",
          "--timeout",
          "60",
          "--dht-bootstrap",
          node,
          "--data-dir",
          join(dir, "get-state"),
          "--json",
        );
        const status = await get.child.status;
        await get.stop();
        assert.equal(status.code, 0, get.stderr());
        assert.deepEqual(await Deno.readFile(join(dir, "got", "file.bin")), data);
        const summary = JSON.parse(get.stdoutLines().at(-1)!);
        // The one peer with the data: dialled by us at its port, or dialling us (libtorrent
        // looks its torrent up too and finds our announce) from another.
        assert.equal(Object.keys(summary.peers).length, 1, JSON.stringify(summary.peers));
      } finally {
        await stopChild(seed);
        await root.stop("SIGKILL");
      }
    });
  },
});

Deno.test({
  name: "interop: libtorrent finds a p2p seed through the DHT and downloads it, no tracker",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const { torrent, data } = await trackerlessTorrent(dir);
      const { root, node } = await startRoot(dir);
      const processes = [root];
      try {
        const seed = spawnP2p(
          dir,
          "seed",
          torrent,
          "-d",
          "seed",
          "-p",
          "0",
          "--host",
          "127.0.0.1",
          "-v",
          "--dht-bootstrap",
          node,
          "--data-dir",
          join(dir, "seed-state"),
        );
        processes.push(seed);
        const [, infoHash] = await seed.waitForLine(/^seeding .* \(([0-9a-f]{40})\) on port \d+$/);
        // Announced into the DHT before libtorrent looks.
        const deadline = Date.now() + 15_000;
        while (!/announced to [1-9]/.test(seed.stderr())) {
          assert.ok(Date.now() < deadline, `no DHT announce: ${seed.stderr()}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const leech = spawn(
          libtorrentPeer("leech", `magnet:?xt=urn:btih:${infoHash}`, join(dir, "lt"), 60, {
            dht: [node],
          }),
        );
        const status = await leech.status;
        const output = await stopChild(leech);
        assert.equal(status.code, 0, output);
        assert.match(output, /^dht 127\.0\.0\.1:\d+$/m, "the peer came from the DHT");
        assert.deepEqual(await Deno.readFile(join(dir, "lt", "file.bin")), data);
      } finally {
        await Promise.all(processes.map((process) => process.stop("SIGKILL")));
      }
    });
  },
});
