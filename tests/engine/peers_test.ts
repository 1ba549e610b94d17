/**
 * Per-peer state in the engine: strikes that follow a peer's address,
 * choking rounds, and what a peer says in its extension handshake.
 */
import assert from "node:assert/strict";
import { ALLOWED_FAST_COUNT, MIN_PIPELINE_DEPTH } from "../../src/session/mod.ts";
import { Bitfield, BLOCK_SIZE } from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

/**
 * Answers the requests a peer got: blocks of `corrupt` pieces with garbage,
 * once; others from `data`, and those asked next too (the pipeline grows
 * with the peer's rate), until it is asked for nothing new or is dropped.
 */
async function answer(
  peer: ScriptedPeer,
  options: { data?: Uint8Array; pieceLength?: number; corrupt: (index: number) => boolean },
): Promise<void> {
  let answered = 0;
  for (let pass = 0; !peer.closed; pass++) {
    const requests = peer.ofType("request").slice(answered);
    answered += requests.length;
    const due = requests.filter(({ index }) => pass === 0 || !options.corrupt(index));
    if (due.length === 0) return;
    for (const request of due) {
      const offset = request.index * (options.pieceLength ?? 0) + request.begin;
      const block = options.corrupt(request.index)
        ? new Uint8Array(request.length).fill(0xee)
        : options.data!.slice(offset, offset + request.length);
      await peer.send({ type: "piece", index: request.index, begin: request.begin, block });
    }
    await settle();
  }
}

Deno.test("engine: strikes follow the peer's address: leaving before the hash check or coming back from a new port sheds none", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const corrupt = "10.0.0.66";
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const join = async (port: number) => {
      const peer = await ScriptedPeer.connect(
        world,
        { ip: corrupt, port },
        leech.endpoint,
        metainfo,
      );
      await peer.send({ type: "bitfield", bitfield: Bitfield.full(metainfo.pieceCount) }, {
        type: "unchoke",
      });
      await settle(() => peer.ofType("request").length > 0 || peer.closed);
      return peer;
    };
    // Twice: one connection sends a bad block of a piece and leaves before that
    // piece is complete; the next, from a new port, completes it and it fails its hash
    // (its other pieces it serves honestly).
    let spoiled: number | undefined;
    for (const [first, second] of [[5001, 5002], [5003, 5004]]) {
      const leaver = await join(first);
      spoiled ??= leaver.ofType("request")[0].index;
      const bad = spoiled;
      const [request] = leaver.ofType("request").filter((r) => r.index === bad);
      const block = new Uint8Array(request.length).fill(0xee);
      const downloaded = getting.session.stats().downloaded;
      await leaver.send({ type: "piece", index: request.index, begin: request.begin, block });
      await settle(() => getting.session.stats().downloaded > downloaded);
      leaver.close();
      await settle(() => getting.session.peers.size === 0);
      const finisher = await join(second);
      const failedBefore = getting.session.stats().failedPieces;
      await answer(finisher, {
        data,
        pieceLength: metainfo.pieceLength,
        corrupt: (index) => index === bad,
      });
      await settle(() => getting.session.stats().failedPieces === failedBefore + 1);
      if (second === 5004) {
        // Two failed pieces from one address: banned, this connection dropped.
        await settle(() => finisher.closed);
      }
      finisher.close();
      await settle(() => getting.session.peers.size === 0);
    }
    assert.equal(getting.session.stats().verifiedPieces, metainfo.pieceCount - 1);
    // A fifth port of the same address is refused at once.
    const comeback = await ScriptedPeer.connect(
      world,
      { ip: corrupt, port: 5005 },
      leech.endpoint,
      metainfo,
    );
    await settle(() => comeback.closed);

    // An honest seed, never a contributor to the failed pieces, finishes the download.
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
  } finally {
    await world.close();
  }
});

Deno.test("engine: blocks nobody asked for are dropped and their sender cut off, so a flood cannot frame an honest seed", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    // It says it has everything but never unchokes us: we ask it for nothing.
    const flooder = await ScriptedPeer.connect(
      world,
      { ip: "10.0.0.66", port: 5000 },
      leech.endpoint,
      metainfo,
    );
    await flooder.send({ type: "bitfield", bitfield: Bitfield.full(metainfo.pieceCount) });
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.peers.size === 2);
    const garbage = new Uint8Array(BLOCK_SIZE).fill(0xee);
    for (let round = 0; round < 3 && !flooder.closed; round++) {
      for (let index = 0; index < metainfo.pieceCount; index++) {
        for (const begin of [0, BLOCK_SIZE]) {
          await flooder.send({ type: "piece", index, begin, block: garbage });
        }
      }
    }
    await settle(() => getting.session.complete);
    await settle(() => flooder.closed);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    assert.equal(getting.session.stats().failedPieces, 0, "no garbage was taken");
  } finally {
    await world.close();
  }
});

Deno.test("engine: a piece that fails with blocks from two peers is fetched again from one, and only the liar is struck", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const liar = await ScriptedPeer.connect(
      world,
      { ip: "10.0.0.66", port: 5000 },
      leech.endpoint,
      metainfo,
    );
    await liar.send({ type: "bitfield", bitfield: Bitfield.full(metainfo.pieceCount) }, {
      type: "unchoke",
    });
    await settle(() => liar.ofType("request").length === MIN_PIPELINE_DEPTH);
    // One bad first block of each of two pieces, then it chokes us: an honest seed finishes them.
    const pieces = [...new Set(liar.ofType("request").map((request) => request.index))].slice(0, 2);
    for (const index of pieces) {
      const block = new Uint8Array(BLOCK_SIZE).fill(0xee);
      await liar.send({ type: "piece", index, begin: 0, block });
    }
    await settle(() => getting.session.stats().downloaded === 2 * BLOCK_SIZE);
    await liar.send({ type: "choke" });
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    assert.equal(getting.session.stats().failedPieces, 2);
    // Two pieces' wrong blocks traced to the liar: banned; the seed that sent the rest is not.
    await settle(() => liar.closed);
    const addresses = [...getting.session.peers.values()].map((peer) => peer.endpoint.ip);
    assert.deepEqual(addresses, ["10.0.0.1"]);
  } finally {
    await world.close();
  }
});

Deno.test("engine: peers on loopback are told apart by peer id, so one corrupt local client bans no other", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(4 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("127.0.0.1");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    for (const port of [5001, 5002]) {
      const liar = await ScriptedPeer.connect(
        world,
        { ip: "127.0.0.1", port },
        leech.endpoint,
        metainfo,
      );
      await liar.send({ type: "bitfield", bitfield: Bitfield.full(metainfo.pieceCount) }, {
        type: "unchoke",
      });
      await settle(() => liar.ofType("request").length === 4);
      await answer(liar, { corrupt: () => true });
      await settle(() => getting.session.stats().failedPieces === (port === 5001 ? 2 : 4));
      await settle(() => liar.closed);
    }
    const seed = world.client("127.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
  } finally {
    await world.close();
  }
});

/** A seed with `count` interested scripted leechers, connected in order (10.0.1.1, 10.0.1.2, ...). */
async function seedWithLeechers(world: EngineWorld, count: number, random: () => number) {
  const { metainfo, data } = testTorrent(4 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const seed = world.client("10.0.0.1", {
    seeded: new Map([[metainfo.infoHash.hex, data]]),
    random,
  });
  await seed.client.add(metainfo, { directory: "/", mode: "read" });
  const leechers: ScriptedPeer[] = [];
  for (let i = 1; i <= count; i++) {
    const leecher = await ScriptedPeer.connect(
      world,
      { ip: `10.0.1.${i}`, port: 6881 },
      seed.endpoint,
      metainfo,
    );
    await leecher.send({ type: "interested" });
    await settle(() => leecher.ofType("bitfield").length === 1);
    leechers.push(leecher);
  }
  await settle();
  const unchoked = () =>
    leechers.flatMap((leecher, i) => (leecher.unchoked && !leecher.closed ? [i + 1] : []));
  return { leechers, unchoked };
}

Deno.test("engine: choking keeps 8 slots: 7 by rate plus one optimistic, and the newcomer waits its turn", async () => {
  const world = new EngineWorld();
  // First piece, then the optimistic picks: the last candidate, then the first.
  const randoms = [0, 0.99, 0];
  try {
    const { unchoked } = await seedWithLeechers(world, 10, () => randoms.shift() ?? 0);
    assert.deepEqual(unchoked(), [1, 2, 3, 4, 5, 6, 7, 8], "free slots go at once");
    world.clock.advance(10_000);
    await settle();
    assert.deepEqual(unchoked(), [1, 2, 3, 4, 5, 6, 7, 10], "7 regular, optimistic 10");
  } finally {
    await world.close();
  }
});

Deno.test("engine: peers leaving do not hurry the optimistic rotation: it changes every 30 s", async () => {
  const world = new EngineWorld();
  const randoms = [0, 0.99, 0];
  try {
    const { leechers, unchoked } = await seedWithLeechers(world, 14, () => randoms.shift() ?? 0);
    world.clock.advance(10_000);
    await settle();
    assert.deepEqual(unchoked(), [1, 2, 3, 4, 5, 6, 7, 14], "optimistic: 14");
    // Two unchoked peers leave: their slots are refilled, the optimistic peer stays.
    leechers[0].close();
    leechers[1].close();
    await settle(() => unchoked().length === 8);
    assert.deepEqual(unchoked(), [3, 4, 5, 6, 7, 8, 9, 14]);
    world.clock.advance(10_000);
    await settle();
    assert.deepEqual(unchoked(), [3, 4, 5, 6, 7, 8, 9, 14], "at 20 s: still 14");
    world.clock.advance(10_000);
    await settle();
    assert.deepEqual(unchoked(), [3, 4, 5, 6, 7, 8, 9, 14], "at 30 s: still 14");
    world.clock.advance(10_000);
    await settle();
    assert.deepEqual(unchoked(), [3, 4, 5, 6, 7, 8, 9, 10], "at 40 s, 30 s after: rotated to 10");
  } finally {
    await world.close();
  }
});

Deno.test("engine: idle connections cannot lock a seed out: past 1 s of idleness a newcomer takes the idlest one's place", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const idlers: ScriptedPeer[] = [];
    for (let i = 1; i <= 50; i++) {
      idlers.push(
        await ScriptedPeer.connect(
          world,
          { ip: `10.0.2.${i}`, port: 6881 },
          seed.endpoint,
          metainfo,
        ),
      );
    }
    await settle(() => seeding.session.peers.size === 50);
    const early = await ScriptedPeer.connect(
      world,
      { ip: "10.0.0.9", port: 6881 },
      seed.endpoint,
      metainfo,
    );
    await settle(() => early.closed);
    assert.equal(seeding.session.peers.size, 50, "a full table, nobody idle long enough yet");
    world.clock.advance(1_500);
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.equal(idlers.filter((idler) => idler.closed).length, 1, "one idler made room");
  } finally {
    await world.close();
  }
});

Deno.test("engine: connections that never handshake cannot fill the pending slots: the oldest makes way", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const silent = Array.from(
      { length: 64 },
      (_, i) => world.network.dial({ ip: `10.0.4.${i + 1}`, port: 6881 }, seed.endpoint),
    );
    await settle();
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    for (const stream of silent) stream.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: one address holds at most 4 connections to a torrent (loopback aside)", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const peers: ScriptedPeer[] = [];
    for (let port = 5001; port <= 5005; port++) {
      peers.push(
        await ScriptedPeer.connect(world, { ip: "10.0.5.1", port }, seed.endpoint, metainfo),
      );
    }
    await settle(() => peers[4].closed);
    assert.equal(seeding.session.peers.size, 4);
    assert.deepEqual(peers.map((peer) => peer.closed), [false, false, false, false, true]);
  } finally {
    await world.close();
  }
});

Deno.test("engine: peers that stop reading lose their upload slots to a waiting peer within 2 s, and are dropped after a minute", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(64 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", {
      seeded: new Map([[metainfo.infoHash.hex, data]]),
      random: () => 0,
    });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const readers: ScriptedPeer[] = [];
    for (let i = 1; i <= 8; i++) {
      const reader = await ScriptedPeer.connect(
        world,
        { ip: `10.0.6.${i}`, port: 6881 },
        seed.endpoint,
        metainfo,
      );
      reader.stopReading(true);
      const requests = Array.from({ length: 64 }, (_, n) => ({
        type: "request" as const,
        index: Math.floor(n / 2),
        begin: (n % 2) * BLOCK_SIZE,
        length: BLOCK_SIZE,
      }));
      await reader.send({ type: "interested" }, ...requests);
      readers.push(reader);
    }
    await settle();
    const slowOnes = () =>
      [...seeding.session.peers.values()].filter((p) => p.endpoint.ip.startsWith("10.0.6."));
    assert.equal(slowOnes().filter((peer) => !peer.amChoking).length, 8, "all slots taken");
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.peers.size === 1);
    await settle();
    const [seedPeer] = getting.session.peers.values();
    assert.ok(seedPeer.peerChoking, "no slot for a newcomer yet");
    assert.ok(
      getting.session.stats().downloaded <= ALLOWED_FAST_COUNT * metainfo.pieceLength,
      "only its allowed-fast pieces (BEP 6) while it waits",
    );
    await world.pass(3_000);
    await settle(() => getting.session.complete);
    await world.pass(7_000);
    assert.ok(
      slowOnes().every((peer) => peer.amChoking),
      "a choking round chokes every non-reader",
    );
    await world.pass(60_000);
    await settle(() => slowOnes().length === 0);
  } finally {
    await world.close();
  }
});

Deno.test("engine: a peer flooding requests while choked is cut off after 512, and nothing is queued for it", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const flooder = await ScriptedPeer.connect(
      world,
      { ip: "10.0.7.1", port: 6881 },
      seed.endpoint,
      metainfo,
    );
    const request = { type: "request" as const, index: 0, begin: 0, length: BLOCK_SIZE };
    await flooder.send(...Array.from({ length: 500 }, () => request));
    await settle();
    assert.equal(flooder.closed, false, "requests that crossed a choke are only dropped");
    assert.deepEqual([...seeding.session.peers.values()].map((peer) => peer.uploadQueue.length), [
      0,
    ]);
    await flooder.send(...Array.from({ length: 100 }, () => request));
    await settle(() => flooder.closed);
    assert.equal(flooder.ofType("piece").length, 0);
  } finally {
    await world.close();
  }
});
