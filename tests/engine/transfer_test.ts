/**
 * The engine in one process: Clients over in-memory pipes with a clock the
 * test moves. Seed and download, corrupt pieces and strikes, stalls and
 * give-back, a torrent started from its info hash, and extensions.
 */
import assert from "node:assert/strict";
import { MIN_PIPELINE_DEPTH } from "../../src/session/mod.ts";
import { Bitfield, BLOCK_SIZE, type BlockRange } from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

Deno.test("engine: a seed and a downloader over in-memory pipes, every byte verified", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(40 * BLOCK_SIZE + 1234, 4 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    assert.equal(seeding.session.complete, true);
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    assert.equal(getting.session.stats().verifiedPieces, 0);
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    await getting.session.whenComplete();
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    const stats = getting.session.stats();
    assert.equal(stats.verifiedBytes, metainfo.totalLength);
    assert.equal(stats.downloaded, metainfo.totalLength, "no block fetched twice");
    assert.deepEqual([...getting.session.bytesFromPeers.keys()], [
      "10.0.0.1:" + seed.endpoint.port,
    ]);
    await settle(() => seeding.session.stats().uploaded === metainfo.totalLength);
  } finally {
    await world.close();
  }
});

Deno.test("engine: a downloader takes pieces from two seeds and serves what it verified to a third peer", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(64 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seeded = new Map([[metainfo.infoHash.hex, data]]);
    const seeds = [world.client("10.0.0.1", { seeded }), world.client("10.0.0.3", { seeded })];
    for (const seed of seeds) await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect(seeds.map((seed) => seed.endpoint));
    await settle(() => getting.session.complete);
    assert.equal(getting.session.bytesFromPeers.size, 2, "both seeds contributed");

    // A newcomer asks the finished downloader: it serves verified pieces.
    const newcomer = await ScriptedPeer.connect(
      world,
      { ip: "10.0.0.9", port: 5000 },
      leech.endpoint,
      metainfo,
    );
    await newcomer.send({ type: "interested" });
    await settle(() => newcomer.unchoked);
    await newcomer.send({ type: "request", index: 5, begin: BLOCK_SIZE, length: BLOCK_SIZE });
    await settle(() => newcomer.ofType("piece").length === 1);
    const [piece] = newcomer.ofType("piece");
    const start = 5 * 2 * BLOCK_SIZE + BLOCK_SIZE;
    assert.deepEqual(piece.block, data.subarray(start, start + BLOCK_SIZE));
    assert.equal(newcomer.ofType("bitfield")[0].bitfield.count, 64 / 2);
    newcomer.close();
  } finally {
    await world.close();
  }
});

/**
 * A download whose first two pieces are dealt to one scripted peer that has
 * only them and never sends them, with a partial seed beside it that could
 * serve them: 9 pieces, and nobody has the last one, so the download never
 * reaches its endgame (which would ask the seed for a slow peer's blocks
 * anyway). The seed serves pieces 2 to 7; only giving work back moves the
 * first two on.
 */
async function stuckBehindOnePeer(world: EngineWorld) {
  const { metainfo, data } = testTorrent(18 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const partial = data.slice();
  partial.fill(0, 16 * BLOCK_SIZE);
  const leech = world.client("10.0.0.2");
  const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
  const firstTwo = new Bitfield(metainfo.pieceCount);
  for (let i = 0; i < 2; i++) firstTwo.set(i);
  const holder = await ScriptedPeer.connect(
    world,
    { ip: "10.0.0.7", port: 5000 },
    leech.endpoint,
    metainfo,
  );
  await holder.send({ type: "bitfield", bitfield: firstTwo }, { type: "unchoke" });
  await settle(() => holder.ofType("request").length === 4);
  const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, partial]]) });
  await seed.client.add(metainfo, { directory: "/", mode: "read" });
  getting.session.connect([seed.endpoint]);
  await settle(() => getting.session.peers.size === 2);
  await settle(() => getting.session.stats().verifiedPieces === 6);
  await settle();
  assert.equal(getting.session.stats().verifiedPieces, 6, "the holder's pieces wait");
  const firstEightBytes = () =>
    leech.stores.get(metainfo.infoHash.hex)!.bytes.subarray(0, 16 * BLOCK_SIZE);
  return { getting, holder, seed, firstEightBytes, expected: data.subarray(0, 16 * BLOCK_SIZE) };
}

Deno.test("engine: a peer that stalls gives its pieces back after 15 s of the clock, and another finishes them", async () => {
  const world = new EngineWorld();
  try {
    const { getting, holder, seed, firstEightBytes, expected } = await stuckBehindOnePeer(world);
    world.clock.advance(10_000);
    await settle();
    assert.equal(getting.session.stats().verifiedPieces, 6, "10 s is not yet a stall");
    world.clock.advance(10_000);
    await settle(() => getting.session.stats().verifiedPieces === 8);
    assert.deepEqual(firstEightBytes(), expected);
    assert.deepEqual([...getting.session.bytesFromPeers.keys()], [
      `10.0.0.1:${seed.endpoint.port}`,
    ]);
    assert.equal(holder.ofType("request").length, 4, "a stalled peer gets no new work");
    holder.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a peer that chokes us gives its pieces back at once", async () => {
  const world = new EngineWorld();
  try {
    const { getting, holder, firstEightBytes, expected } = await stuckBehindOnePeer(world);
    await holder.send({ type: "choke" });
    // No clock moves: the choke alone hands the work over.
    await settle(() => getting.session.stats().verifiedPieces === 8);
    assert.deepEqual(firstEightBytes(), expected);
    holder.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a peer that could not be reached is dialled again with backoff, and the download completes", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const lines: string[] = [];
  try {
    const leech = world.client("10.0.0.2", { log: (line) => lines.push(line) });
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    // Nothing listens there yet: the seed starts a few seconds later.
    getting.session.connect([{ ip: "10.0.0.1", port: 7000 }]);
    await settle(() => lines.some((line) => /refused; trying again in 5 s/.test(line)));
    await world.pass(2_000);
    const seed = world.client("10.0.0.1", {
      port: 7000,
      seeded: new Map([[metainfo.infoHash.hex, data]]),
    });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    assert.equal(getting.session.peers.size, 0, "not before the delay");
    await world.pass(4_000);
    await settle(() => getting.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
  } finally {
    await world.close();
  }
});

Deno.test("engine: a peer is asked for two seconds of its rate: a block a second keeps four in flight, blocks at once open the pipeline", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(200 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const connect = async (ip: string) => {
      const peer = await ScriptedPeer.connect(world, { ip, port: 5000 }, leech.endpoint, metainfo);
      await peer.send({ type: "bitfield", bitfield: Bitfield.full(metainfo.pieceCount) }, {
        type: "unchoke",
      });
      await settle(() => peer.ofType("request").length === MIN_PIPELINE_DEPTH);
      return peer;
    };
    const send = async (peer: ScriptedPeer, request: BlockRange) => {
      const offset = request.index * metainfo.pieceLength + request.begin;
      const block = data.slice(offset, offset + request.length);
      await peer.send({ type: "piece", index: request.index, begin: request.begin, block });
    };
    const slow = await connect("10.0.0.7");
    for (let second = 0; second < 8; second++) {
      world.clock.advance(1000);
      await send(slow, slow.ofType("request")[second]);
      await settle();
      const inFlight = slow.ofType("request").length - (second + 1);
      assert.equal(inFlight, MIN_PIPELINE_DEPTH, `after ${second + 1} s`);
    }
    // A peer that answers its first requests at once is asked for far more.
    const quick = await connect("10.0.0.8");
    for (const request of quick.ofType("request")) await send(quick, request);
    await settle();
    assert.ok(quick.ofType("request").length > 8 * MIN_PIPELINE_DEPTH);
    assert.equal(slow.ofType("request").length, 8 + MIN_PIPELINE_DEPTH, "the slow one is not");
    assert.ok(getting.session.stats().verifiedPieces >= 4 + 2);
    slow.close();
    quick.close();
  } finally {
    await world.close();
  }
});
