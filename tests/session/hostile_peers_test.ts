/**
 * Hostile peers: garbage, oversize lengths, out-of-range requests, unknown
 * torrents and corrupt data are each met by closing that one connection,
 * while real clients keep being served and downloads stay correct.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InfoHash, type Metainfo, parseMetainfo } from "../../src/metainfo/mod.ts";
import { announce } from "../../src/tracker/mod.ts";
import {
  Bitfield,
  encodeHandshake,
  encodeMessage,
  generatePeerId,
  HANDSHAKE_LENGTH,
  MessageReader,
} from "../../src/wire/mod.ts";
import { freePort, needsTools, withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { aria2cLeech, run } from "../real_clients.ts";
import { assertSameTree, runGet, startSwarm } from "./swarm_helpers.ts";

/** Reads until the peer closes the connection; true if it did within `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buffer = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (Date.now() < deadline) {
      if ((await conn.read(buffer)) === null) return true;
    }
    return false;
  } catch {
    return Date.now() < deadline;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

async function handshaken(port: number, infoHash: InfoHash): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encodeHandshake(infoHash, generatePeerId("9.9.9")));
  const reply = new Uint8Array(HANDSHAKE_LENGTH);
  let filled = 0;
  while (filled < HANDSHAKE_LENGTH) {
    const read = await conn.read(reply.subarray(filled));
    if (read === null) throw new Error("the seed closed during the handshake");
    filled += read;
  }
  return conn;
}

function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

Deno.test({
  name: "a seed drops hostile connections one by one and keeps serving aria2c",
  ignore: !needsTools("aria2c"),
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await startSwarm(dir, {
        name: "data.bin",
        layout: { "data.bin": 5_000_000 },
        pieceLength: "256K",
        seeds: 1,
        seedArgs: ["-v"],
      });
      try {
        const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
        const [, port] = (await swarm.seeds[0].waitForLine(/on port (\d+)$/)).map(Number);
        const aria = run(aria2cLeech(swarm.torrentPath, join(dir, "aria2c")));

        // Random bytes could start an encrypted handshake: past its 628-byte limit to find the
        // peer's proof (HASH('req1', S)), the seed knows they do not.
        const garbage = await Deno.connect({ hostname: "127.0.0.1", port });
        await garbage.write(crypto.getRandomValues(new Uint8Array(1000)));
        assert.ok(await closedWithin(garbage, 5000), "garbage instead of a handshake");

        const stranger = await Deno.connect({ hostname: "127.0.0.1", port });
        await stranger.write(
          encodeHandshake(InfoHash.fromBytes(new Uint8Array(20).fill(9)), generatePeerId("9.9.9")),
        );
        assert.ok(await closedWithin(stranger, 5000), "unknown info hash");

        const oversize = await handshaken(port, torrent.infoHash);
        await oversize.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 7]));
        assert.ok(await closedWithin(oversize, 5000), "oversize length");

        const outOfRange = await handshaken(port, torrent.infoHash);
        await outOfRange.write(encodeMessage({ type: "interested" }));
        await outOfRange.write(
          new Uint8Array([0, 0, 0, 13, 6, ...u32(10_000), ...u32(0), ...u32(16384)]),
        );
        assert.ok(await closedWithin(outOfRange, 5000), "request for a piece that does not exist");

        const huge = await handshaken(port, torrent.infoHash);
        await huge.write(new Uint8Array([0, 0, 0, 13, 6, ...u32(0), ...u32(0), ...u32(200_000)]));
        assert.ok(await closedWithin(huge, 5000), "request over 128 KiB");

        const leech = await aria;
        assert.equal(leech.code, 0, new TextDecoder().decode(leech.stdout));
        await assertSameTree(swarm.dataPath, join(dir, "aria2c", "data.bin"));
        const log = swarm.seeds[0].stderr();
        assert.match(log, /refused 127\.0\.0\.1:\d+: .*encryption handshake did not synchronise/);
        assert.match(log, /refused 127\.0\.0\.1:\d+: unknown torrent 09090909/);
        assert.match(log, /protocol violation: message of 2147483647 bytes exceeds the limit/);
        assert.match(log, /protocol violation: request for piece 10000, but the torrent has 20/);
        assert.match(log, /protocol violation: request of 200000 bytes \(at most 131072\)/);
      } finally {
        await swarm.stop();
      }
    });
  },
});

/**
 * A peer that claims every piece and answers every request with random
 * bytes, announced to the tracker as a seeder.
 */
async function startCorruptPeer(announceUrl: string, torrentPath: string) {
  const torrent = parseMetainfo(await Deno.readFile(torrentPath));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const peerId = generatePeerId("6.6.6");
  const serving = (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      (async () => {
        const buffer = new Uint8Array(65536);
        let handshake = new Uint8Array(0);
        while (handshake.length < HANDSHAKE_LENGTH) {
          const read = await conn.read(buffer);
          if (read === null) return;
          handshake = new Uint8Array([...handshake, ...buffer.subarray(0, read)]);
        }
        const all = new Bitfield(torrent.pieceCount);
        for (let i = 0; i < torrent.pieceCount; i++) all.set(i);
        await conn.write(encodeHandshake(torrent.infoHash, peerId));
        await conn.write(encodeMessage({ type: "bitfield", bitfield: all }));
        await conn.write(encodeMessage({ type: "unchoke" }));
        const reader = new MessageReader();
        reader.push(handshake.subarray(HANDSHAKE_LENGTH));
        while (true) {
          const read = await conn.read(buffer);
          if (read === null) return;
          for (const message of reader.push(buffer.subarray(0, read))) {
            if (message.type !== "request") continue;
            const block = crypto.getRandomValues(new Uint8Array(message.length));
            await conn.write(
              encodeMessage({ type: "piece", index: message.index, begin: message.begin, block }),
            );
          }
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  await announce(announceUrl, {
    infoHash: torrent.infoHash,
    peerId,
    port,
    uploaded: 0,
    downloaded: 0,
    left: 0,
    event: "started",
  });
  return {
    async stop() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // closed already
        }
      }
      await serving;
    },
  };
}

Deno.test("get: a peer sending corrupt blocks is caught by the hash check and dropped", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 3_000_000 },
      pieceLength: "32K",
      seeds: 1,
      seedArgs: ["--max-upload-rate", "1M"],
    });
    const corrupt = await startCorruptPeer(swarm.announceUrl, swarm.torrentPath);
    try {
      const { code, summary, stderr } = await runGet(
        dir,
        swarm.torrentPath,
        join(dir, "leech"),
        "-v",
      );
      assert.equal(code, 0, stderr);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "data.bin"));
      assert.ok(summary!.failedPieces >= 2, `${summary!.failedPieces} corrupt pieces caught`);
      assert.match(stderr, /failed its hash check; discarded/);
      assert.match(stderr, /disconnected: dropped: sent 2 pieces that failed their hash/);
    } finally {
      await corrupt.stop();
      await swarm.stop();
    }
  });
});

/**
 * Connects to `port` again and again until `signal` aborts, each time with a
 * fresh peer id, claims every piece, and runs `session` on the connection
 * until the other side closes it.
 *
 * @returns how many connections it made.
 */
async function keepComingBack(
  port: number,
  torrent: Metainfo,
  signal: AbortSignal,
  session: (conn: Deno.Conn) => Promise<void>,
): Promise<number> {
  let connections = 0;
  while (!signal.aborted) {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    connections++;
    const stop = () => conn.close();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await conn.write(encodeHandshake(torrent.infoHash, generatePeerId("6.6.6")));
      await conn.write(
        encodeMessage({ type: "bitfield", bitfield: Bitfield.full(torrent.pieceCount) }),
      );
      await session(conn);
    } catch {
      // dropped by the downloader: come back as someone else
    } finally {
      signal.removeEventListener("abort", stop);
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  }
  return connections;
}

/** Unchokes, and answers every request with garbage. */
async function answerWithGarbage(conn: Deno.Conn): Promise<void> {
  await conn.write(encodeMessage({ type: "unchoke" }));
  const reader = new MessageReader();
  const buffer = new Uint8Array(65536);
  let handshakeLeft = HANDSHAKE_LENGTH;
  while (true) {
    const read = await conn.read(buffer);
    if (read === null) return;
    const skip = Math.min(handshakeLeft, read);
    handshakeLeft -= skip;
    for (const message of reader.push(buffer.subarray(skip, read))) {
      if (message.type !== "request") continue;
      const block = new Uint8Array(message.length).fill(0xee);
      await conn.write(
        encodeMessage({ type: "piece", index: message.index, begin: message.begin, block }),
      );
    }
  }
}

Deno.test("get: garbage is not progress: --timeout ends a download fed only by a corrupt peer that keeps coming back", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 2_000_000 },
      pieceLength: "32K",
      seeds: 0,
    });
    const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
    const port = freePort();
    const attack = new AbortController();
    const started = performance.now();
    const get = spawnP2p(
      dir,
      "get",
      swarm.torrentPath,
      "-d",
      join(dir, "leech"),
      "-p",
      String(port),
      "--timeout",
      "3",
    );
    const attacker = keepComingBack(port, torrent, attack.signal, answerWithGarbage);
    const deadline = setTimeout(() => attack.abort(), 25_000);
    try {
      const { code } = await get.child.status;
      const seconds = (performance.now() - started) / 1000;
      assert.equal(code, 1, get.stderr());
      assert.match(get.stderr(), /p2p: no data for 3 s|p2p: no peers after 3 s/);
      assert.ok(
        seconds < 15,
        `gave up after ${seconds.toFixed(1)} s (the attacker went on for 25 s)`,
      );
    } finally {
      clearTimeout(deadline);
      attack.abort();
      assert.ok((await attacker) > 0, "the attacker got in");
      await get.stop();
      await swarm.stop();
    }
  });
});

/**
 * aria2c downloading from a seed of `size` random bytes, alone and then
 * beside what `attack` sets up against the seed's port; the download's
 * bytes are checked. `attack` returns how to stop itself.
 */
async function aria2cBesideAttack(
  dir: string,
  size: number,
  attack: (port: number, torrent: Metainfo) => Promise<() => Promise<void>>,
): Promise<{ alone: number; attacked: number }> {
  const swarm = await startSwarm(dir, {
    name: "data.bin",
    layout: { "data.bin": size },
    pieceLength: "256K",
    seeds: 1,
  });
  let stopAttack = () => Promise.resolve();
  try {
    const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
    const [, port] = (await swarm.seeds[0].waitForLine(/on port (\d+)$/)).map(Number);
    const timed = async (target: string) => {
      const started = performance.now();
      const { code, stderr } = await run(aria2cLeech(swarm.torrentPath, join(dir, target)));
      assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-500));
      return (performance.now() - started) / 1000;
    };
    const alone = await timed("alone");
    stopAttack = await attack(port, torrent);
    const attacked = await timed("attacked");
    await assertSameTree(swarm.dataPath, join(dir, "attacked", "data.bin"));
    return { alone, attacked };
  } finally {
    await stopAttack();
    await swarm.stop();
  }
}

/** Closes connections, some of which the other side may have closed already. */
function closeAll(conns: readonly Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed by the seed
    }
  }
}

Deno.test({
  name:
    "seed: 50 idle peers and 64 silent connections do not lock aria2c out (within 1.5x of its time alone)",
  ignore: !needsTools("aria2c"),
  async fn() {
    await withTempDir(async (dir) => {
      const { alone, attacked } = await aria2cBesideAttack(
        dir,
        4_000_000,
        async (port, torrent) => {
          const held: Deno.Conn[] = [];
          for (let i = 0; i < 50; i++) held.push(await handshaken(port, torrent.infoHash));
          for (let i = 0; i < 64; i++) {
            held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
          }
          return () => Promise.resolve(closeAll(held));
        },
      );
      assert.ok(
        attacked <= 1.5 * alone + 1,
        `aria2c took ${attacked.toFixed(1)} s under attack, ${alone.toFixed(1)} s alone`,
      );
    });
  },
});

Deno.test("get: a peer flooding blocks nobody asked for is cut off and cannot get the honest seed banned", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 3_000_000 },
      pieceLength: "32K",
      seeds: 1,
      seedArgs: ["--max-upload-rate", "1M"],
    });
    const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
    const port = freePort();
    const attack = new AbortController();
    const get = spawnP2p(
      dir,
      "get",
      swarm.torrentPath,
      "-d",
      join(dir, "leech"),
      "-p",
      String(port),
      "-v",
      "--timeout",
      "20",
    );
    let blocks = 0;
    // Made-up blocks of every piece, never asked for (it never unchokes us).
    const flooder = keepComingBack(port, torrent, attack.signal, async (conn) => {
      const block = new Uint8Array(16384).fill(0xee);
      for (let index = 0; !attack.signal.aborted; index = (index + 1) % torrent.pieceCount) {
        await conn.write(encodeMessage({ type: "piece", index, begin: 0, block }));
        blocks++;
      }
    });
    const deadline = setTimeout(() => attack.abort(), 30_000);
    try {
      const { code } = await get.child.status;
      assert.equal(code, 0, get.stderr().slice(-2000));
      await assertSameTree(swarm.dataPath, join(dir, "leech", "data.bin"));
      assert.match(get.stderr(), /blocks nobody asked it for/);
      assert.doesNotMatch(get.stderr(), /failed its hash check/);
    } finally {
      clearTimeout(deadline);
      attack.abort();
      await flooder;
      assert.ok(blocks > 0, "the flooder got its blocks in");
      await get.stop();
      await swarm.stop();
    }
  });
});

Deno.test({
  name:
    "seed: 12 peers that ask and never read do not keep aria2c waiting (within 1.5x of its time alone)",
  ignore: !needsTools("aria2c", "python3"),
  async fn() {
    await withTempDir(async (dir) => {
      const tool = new URL("../interop/tools/slow_reader.py", import.meta.url).pathname;
      const { alone, attacked } = await aria2cBesideAttack(
        dir,
        16_000_000,
        async (port, torrent) => {
          const readers: Deno.ChildProcess[] = [];
          const stop = async () => {
            for (const reader of readers) {
              try {
                reader.kill("SIGKILL");
              } catch {
                // gone already
              }
              await reader.status;
            }
          };
          try {
            // More than the 8 upload slots: the optimistic slot rarely goes to aria2c by chance.
            for (let i = 0; i < 12; i++) {
              const reader = new Deno.Command("python3", {
                args: [
                  tool,
                  String(port),
                  torrent.infoHash.hex,
                  String(torrent.pieceCount),
                  "262144",
                  "500",
                  "60",
                ],
                stdout: "piped",
                stderr: "null",
              }).spawn();
              readers.push(reader);
              const line = await reader.stdout.pipeThrough(new TextDecoderStream()).getReader()
                .read();
              assert.match(line.value ?? "", /asked/);
            }
          } catch (error) {
            await stop();
            throw error;
          }
          return stop;
        },
      );
      assert.ok(
        attacked <= 1.5 * alone + 1,
        `aria2c took ${attacked.toFixed(1)} s beside 12 non-readers, ${alone.toFixed(1)} s alone`,
      );
    });
  },
});
