/**
 * Interop for magnet links, both directions, with real clients: `p2p get
 * MAGNET` fetches the metadata (BEP 9) from python3-libtorrent and aria2c
 * seeds with no .torrent anywhere; libtorrent and aria2c given the magnet
 * link of a torrent `p2p seed` serves fetch the metadata from us; and peer
 * exchange (BEP 11) both ways with libtorrent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatMagnet, magnetOf, parseMetainfo } from "../../src/metainfo/mod.ts";
import { freePort, needsTools, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p } from "../process_helpers.ts";
import {
  aria2cLeech,
  aria2cSeed,
  libtorrentPeer,
  run,
  spawn,
  SYSTEM_PYTHON,
} from "../real_clients.ts";
import { assertSameTree, runGet, waitForSeeders } from "../session/swarm_helpers.ts";
import { albumSwarm, NAME } from "./album.ts";

/** The magnet link of the torrent at `path`, its trackers in it. */
async function magnetOfFile(path: string): Promise<string> {
  return magnetOf(parseMetainfo(await Deno.readFile(path)));
}

/** A magnet link of the torrent at `path` naming only `peers`: no tracker. */
async function magnetToPeers(path: string, ports: number[]): Promise<string> {
  const torrent = parseMetainfo(await Deno.readFile(path));
  return formatMagnet({
    infoHash: torrent.infoHash,
    name: torrent.name,
    trackerTiers: [],
    peers: ports.map((port) => ({ ip: "127.0.0.1", port })),
  });
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // gone already
  }
  // Its stdout may be read by a line watcher already: then only stderr is left to drain.
  await child.output().catch(async () => {
    await child.stderr.cancel().catch(() => {});
    await child.status;
  });
}

/** Reads a child's stdout lines as they come, waiting for one that matches. */
function lineWatcher(child: Deno.ChildProcess) {
  const lines: string[] = [];
  const done = (async () => {
    let partial = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      partial += text;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      lines.push(...parts);
    }
  })();
  return {
    lines,
    done,
    async waitFor(pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const match = lines.map((line) => line.match(pattern)).find((m) => m);
        if (match) return match;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no line ${pattern} within ${ms} ms: ${lines.join(" | ")}`);
    },
  };
}

for (const kind of ["libtorrent", "aria2c"] as const) {
  Deno.test({
    name: `interop: p2p get MAGNET fetches the metadata and the data from a ${kind} seed`,
    ignore: !needsTools("aria2c", SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await albumSwarm(dir, 0);
        const dataDir = swarm.dataPath.slice(0, -NAME.length - 1);
        const seed = spawn(
          kind === "aria2c"
            ? aria2cSeed(swarm.torrentPath, dataDir)
            : libtorrentPeer("seed", swarm.torrentPath, dataDir),
        );
        try {
          await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 1);
          const magnet = await magnetOfFile(swarm.torrentPath);
          assert.ok(magnet.includes("&tr="), "the tracker is only in the magnet link");
          const saved = join(dir, "saved.torrent");
          const { code, summary, stderr } = await runGet(
            dir,
            magnet,
            join(dir, "leech"),
            "--save-torrent",
            saved,
          );
          assert.equal(code, 0, stderr);
          await assertSameTree(swarm.dataPath, join(dir, "leech", NAME));
          assert.equal(typeof summary!.metadataSeconds, "number");
          const original = parseMetainfo(await Deno.readFile(swarm.torrentPath));
          const rebuilt = parseMetainfo(await Deno.readFile(saved));
          assert.equal(rebuilt.infoHash.hex, original.infoHash.hex);
          assert.deepEqual(rebuilt.trackerTiers, [[swarm.announceUrl]]);
          assert.equal(Object.keys(summary!.peers).length, 1);
        } finally {
          await stopChild(seed);
          await swarm.stop();
        }
      });
    },
  });
}

Deno.test({
  name:
    "interop: libtorrent and aria2c given a magnet link fetch the metadata and the data from p2p seed",
  ignore: !needsTools("aria2c", SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await albumSwarm(dir, 1);
      try {
        const magnet = await magnetOfFile(swarm.torrentPath);
        const lt = await run(libtorrentPeer("leech", magnet, join(dir, "libtorrent")));
        const ltOut = new TextDecoder().decode(lt.stdout);
        assert.equal(lt.code, 0, ltOut + new TextDecoder().decode(lt.stderr));
        assert.match(ltOut, /^metadata \d/m);
        await assertSameTree(swarm.dataPath, join(dir, "libtorrent", NAME));

        const aria = await run(aria2cLeech(magnet, join(dir, "aria2c")));
        assert.equal(aria.code, 0, new TextDecoder().decode(aria.stdout));
        await assertSameTree(swarm.dataPath, join(dir, "aria2c", NAME));
      } finally {
        await swarm.stop();
      }
    });
  },
});

Deno.test({
  name:
    "interop: p2p, knowing one libtorrent peer, learns of two libtorrent seeds through its peer exchange",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await albumSwarm(dir, 0);
      const dataDir = swarm.dataPath.slice(0, -NAME.length - 1);
      const seedPorts = [freePort(), freePort()];
      const children = seedPorts.map((port) =>
        spawn(libtorrentPeer("seed", swarm.torrentPath, dataDir, 120, { port }))
      );
      try {
        await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 2);
        // The one p2p knows: a slow libtorrent leech, connected to both seeds through the tracker.
        const middlePort = freePort();
        const middle = spawn(
          libtorrentPeer("leech", swarm.torrentPath, join(dir, "middle"), 120, {
            port: middlePort,
            rateLimit: 50_000,
          }),
        );
        children.push(middle);
        // Its tracker answer named both seeds: it is connecting to them.
        await lineWatcher(middle).waitFor(/^announced [12]/);
        const { code, summary, stderr } = await runGet(
          dir,
          await magnetToPeers(swarm.torrentPath, [middlePort]),
          join(dir, "leech"),
        );
        assert.equal(code, 0, stderr);
        await assertSameTree(swarm.dataPath, join(dir, "leech", NAME));
        const sources = Object.keys(summary!.peers).map((address) => Number(address.split(":")[1]));
        // p2p knew only the middle peer: any other source came through peer exchange, dialled
        // by us at its listening port or dialling us after the middle told it of us.
        assert.ok(
          sources.some((port) => port !== middlePort),
          `data from a peer learned through peer exchange: ${JSON.stringify(summary!.peers)}`,
        );
      } finally {
        await Promise.all(children.map(stopChild));
        await swarm.stop();
      }
    });
  },
});

Deno.test({
  name: "interop: libtorrent, knowing one p2p peer, learns of a second through our peer exchange",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await albumSwarm(dir, 1);
      const processes: P2pProcess[] = [];
      let lt: Deno.ChildProcess | undefined;
      try {
        const firstPort = Number(
          (await swarm.seeds[0].waitForLine(/^seeding .* on port (\d+)$/))[1],
        );
        // The second p2p peer downloads from the first, then stays to seed: connected to it.
        const secondPort = freePort();
        const second = spawnP2p(
          dir,
          "get",
          await magnetToPeers(swarm.torrentPath, [firstPort]),
          "-d",
          join(dir, "second"),
          "-p",
          String(secondPort),
          "--seed",
          "-q",
        );
        processes.push(second);
        await second.waitForLine(/album$/, 30_000);
        // Slowed down, so it is still downloading when the peer exchange comes.
        lt = spawn(
          libtorrentPeer(
            "leech",
            await magnetToPeers(swarm.torrentPath, [firstPort]),
            join(dir, "lt"),
            120,
            { rateLimit: 400_000 },
          ),
        );
        const watcher = lineWatcher(lt);
        await watcher.waitFor(new RegExp(`^pex 127\\.0\\.0\\.1:${secondPort}$`));
        await watcher.waitFor(/^done /);
        await assertSameTree(swarm.dataPath, join(dir, "lt", NAME));
      } finally {
        if (lt) await stopChild(lt);
        await Promise.all(processes.map((process) => process.stop("SIGKILL")));
        await swarm.stop();
      }
    });
  },
});
