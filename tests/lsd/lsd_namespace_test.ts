/**
 * Local service discovery (BEP 14) for real: multicast between two network
 * namespaces of the test's own, joined only to each other by a veth pair,
 * with no tracker and no DHT. Needs root and iproute2; skipped otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { hasCommand, runP2p, testBytes, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2pThrough } from "../process_helpers.ts";
import { canMakeNetworkNamespaces, createHostPair } from "../interop/network_namespace.ts";
import { libtorrentPeer, SYSTEM_PYTHON } from "../real_clients.ts";

const why = canMakeNetworkNamespaces()
  ? undefined
  : "needs root and iproute2 for network namespaces";

async function trackerlessTorrent(dir: string): Promise<{ torrent: string; data: Uint8Array }> {
  const data = testBytes(1_000_000, 21);
  await Deno.mkdir(join(dir, "seed"));
  await Deno.writeFile(join(dir, "seed", "file.bin"), data);
  const made = await runP2p(dir, "make-torrent", "seed/file.bin", "-o", "file.torrent");
  assert.equal(made.code, 0, made.stderr);
  return { torrent: join(dir, "file.torrent"), data };
}

/**
 * `p2p seed` of `torrent` in the first namespace, local discovery on and the
 * DHT off; added to `processes` (which the test stops) before it is waited on.
 */
async function startLsdSeed(
  hosts: Awaited<ReturnType<typeof createHostPair>>,
  dir: string,
  torrent: string,
  processes: P2pProcess[],
) {
  const seed = spawnP2pThrough(
    hosts.a.inside([]),
    dir,
    "seed",
    torrent,
    "-d",
    "seed",
    "-p",
    "0",
    "--host",
    hosts.a.guestAddress,
    "--no-dht",
    "--lsd",
    "-q",
  );
  processes.push(seed);
  const [, infoHash] = await seed.waitForLine(/^seeding .* \(([0-9a-f]{40})\) on port \d+$/);
  return { seed, infoHash };
}

Deno.test({
  name: "lsd: two p2p processes in two namespaces find each other by multicast and download",
  ignore: why !== undefined,
  async fn() {
    await withTempDir(async (dir) => {
      const { torrent, data } = await trackerlessTorrent(dir);
      const hosts = await createHostPair();
      const processes: P2pProcess[] = [];
      try {
        const { infoHash } = await startLsdSeed(hosts, dir, torrent, processes);
        const get = spawnP2pThrough(
          hosts.b.inside([]),
          dir,
          "get",
          infoHash,
          "-d",
          "got",
          "-p",
          "0",
          "--host",
          hosts.b.guestAddress,
          "--no-dht",
          "--lsd",
          "--timeout",
          "30",
          "--json",
        );
        processes.push(get);
        const status = await get.child.status;
        assert.equal(status.code, 0, get.stderr());
        assert.deepEqual(await Deno.readFile(join(dir, "got", "file.bin")), data);
        const summary = JSON.parse(get.stdoutLines().at(-1)!);
        assert.deepEqual(
          Object.keys(summary.peers).map((address) => address.split(":")[0]),
          [hosts.a.guestAddress],
        );
      } finally {
        await Promise.all(processes.map((process) => process.stop("SIGKILL")));
        await hosts.remove();
      }
    });
  },
});

Deno.test({
  name: "lsd: python3-libtorrent with local discovery on finds a p2p seed in another namespace",
  ignore: why !== undefined || !hasCommand(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const { torrent, data } = await trackerlessTorrent(dir);
      const hosts = await createHostPair();
      const processes: P2pProcess[] = [];
      try {
        const { infoHash } = await startLsdSeed(hosts, dir, torrent, processes);
        const command = hosts.b.inside(
          libtorrentPeer("leech", `magnet:?xt=urn:btih:${infoHash}`, join(dir, "lt"), 60, {
            lsd: true,
            listen: hosts.b.guestAddress,
            port: 40_000 + Math.floor(Math.random() * 20_000),
          }),
        );
        const output = await new Deno.Command(command[0], { args: command.slice(1) }).output();
        const said = new TextDecoder().decode(output.stdout) +
          new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, said);
        assert.deepEqual(await Deno.readFile(join(dir, "lt", "file.bin")), data);
      } finally {
        await Promise.all(processes.map((process) => process.stop("SIGKILL")));
        await hosts.remove();
      }
    });
  },
});
