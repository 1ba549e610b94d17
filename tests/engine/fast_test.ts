/**
 * The Fast extension (BEP 6) in the engine, both directions: what a peer
 * hears first, rejects instead of silent drops, allowed-fast pieces served
 * and fetched while choked, rejects that hand work to other peers at once,
 * and floods of Fast messages that stay bounded.
 */
import assert from "node:assert/strict";
import type { Metainfo } from "../../src/metainfo/mod.ts";
import {
  ALLOWED_FAST_COUNT,
  MAX_ALLOWED_FAST_KEPT,
  MAX_REFUSED_REQUESTS,
  MAX_UNASKED_REJECTS,
  MIN_PIPELINE_DEPTH,
} from "../../src/session/mod.ts";
import {
  allowedFastSet,
  type Bitfield,
  BLOCK_SIZE,
  type BlockRange,
  type Message,
  supportsFast,
} from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

/** `index:begin:length`, to match answers with requests. */
const key = ({ index, begin, length }: BlockRange) => `${index}:${begin}:${length}`;

/**
 * A Client at 10.0.0.2 downloading `metainfo`, and a Fast peer at 10.0.0.5
 * connected to it. Its random numbers are 0: it deals pieces in order from
 * the first.
 */
async function leechWithFastPeer(world: EngineWorld, metainfo: Metainfo) {
  const leech = world.client("10.0.0.2", { random: () => 0 });
  const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
  const peer = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo, {
    fast: true,
  });
  return { leech, getting, peer };
}

/** The request a piece or reject answers, as {@link key}. */
const answerTo = (m: Extract<Message, { type: "piece" | "reject" }>) =>
  key(m.type === "piece" ? { index: m.index, begin: m.begin, length: m.block.length } : m);

/** Every block of pieces `from` to `to` (exclusive), in requests of 16 KiB. */
function blocksOf(metainfo: Metainfo, from: number, to: number): BlockRange[] {
  const blocks: BlockRange[] = [];
  for (let index = from; index < to; index++) {
    for (let begin = 0; begin < metainfo.pieceLength; begin += BLOCK_SIZE) {
      blocks.push({ index, begin, length: Math.min(BLOCK_SIZE, metainfo.pieceLength - begin) });
    }
  }
  return blocks;
}

const request = (block: BlockRange): Message => ({ type: "request", ...block });

/**
 * Answers every request `peer` got that it has not answered and that was
 * not cancelled: with the block from `data`, or with a reject when
 * `reject(request)` says so.
 */
async function answer(
  peer: ScriptedPeer,
  data: Uint8Array,
  pieceLength: number,
  answered: Set<string>,
  reject: (request: BlockRange) => boolean = () => false,
): Promise<void> {
  const cancelled = new Set(peer.ofType("cancel").map(key));
  for (const asked of peer.ofType("request")) {
    const id = key(asked);
    if (answered.has(id) || cancelled.has(id)) continue;
    answered.add(id);
    const { index, begin, length } = asked;
    if (reject(asked)) {
      await peer.send({ type: "reject", index, begin, length });
    } else {
      const offset = index * pieceLength + begin;
      await peer.send({ type: "piece", index, begin, block: data.slice(offset, offset + length) });
    }
  }
}

/** The piece indexes a session has verified. */
function verified(have: Bitfield | undefined): number[] {
  return [...Array(have?.size ?? 0).keys()].filter((index) => have!.has(index));
}

const firstMessages: [string, "all" | "none" | "some", boolean, Message["type"]][] = [
  ["a seed tells a Fast peer have-all", "all", true, "have-all"],
  ["a seed tells a peer without Fast its bitfield", "all", false, "bitfield"],
  ["an empty downloader tells a Fast peer have-none", "none", true, "have-none"],
  ["an empty downloader tells a peer without Fast nothing", "none", false, "extended"],
  ["a downloader with some pieces tells a Fast peer its bitfield", "some", true, "bitfield"],
  [
    "a downloader with some pieces tells a peer without Fast its bitfield",
    "some",
    false,
    "bitfield",
  ],
];

for (const [name, holding, fast, first] of firstMessages) {
  Deno.test(`engine: ${name}`, async () => {
    const world = new EngineWorld();
    const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
    const held = holding === "all"
      ? data
      : holding === "none"
      ? new Uint8Array(data.length)
      : new Uint8Array([...data.subarray(0, 4 * BLOCK_SIZE), ...new Uint8Array(4 * BLOCK_SIZE)]);
    try {
      const ours = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, held]]) });
      await ours.client.add(metainfo, {
        directory: "/",
        mode: holding === "all" ? "read" : "write",
      });
      const peer = await ScriptedPeer.connect(world, "10.0.0.5", ours.endpoint, metainfo, { fast });
      await settle(() => peer.received.length >= (first === "extended" ? 1 : 2));
      await settle();
      assert.ok(supportsFast(peer.handshake!.reserved), "our handshake announces Fast");
      assert.equal(peer.received[0].type, first);
      const told = peer.received.filter((m) =>
        m.type === "bitfield" || m.type === "have-all" || m.type === "have-none"
      );
      assert.equal(told.length, first === "extended" ? 0 : 1, "our pieces are told once");
      if (holding === "some") {
        assert.deepEqual(verified(peer.ofType("bitfield")[0].bitfield), [0, 1]);
      }
      peer.close();
    } finally {
      await world.close();
    }
  });
}

Deno.test("engine: before the metadata a Fast peer hears have-none; once it is known, haves and the allowed-fast pieces we have", async () => {
  const world = new EngineWorld();
  // 20 pieces: the smallest torrent that gives an allowed-fast set.
  const { metainfo, data } = testTorrent(40 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const set = allowedFastSet(metainfo.infoHash, "10.0.0.5", metainfo.pieceCount, 10);
  // A resumed download: half of the peer's allowed-fast set is on disk, and piece 0 or 1.
  const onDisk = [...set.slice(0, 5), set.includes(0) ? 1 : 0];
  const resumed = new Uint8Array(data.length);
  for (const index of onDisk) {
    const piece = data.subarray(index * metainfo.pieceLength, (index + 1) * metainfo.pieceLength);
    resumed.set(piece, index * metainfo.pieceLength);
  }
  try {
    const leech = world.client("10.0.0.2", { seeded: new Map([[metainfo.infoHash.hex, resumed]]) });
    const magnet = leech.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    const peer = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo, {
      fast: true,
    });
    // It allows us pieces before we know how many there are: some outside the torrent.
    await peer.send(
      ...Array.from({ length: 100 }, (_, i): Message => ({ type: "allowed-fast", index: i * 7 })),
    );
    await settle(() => peer.received.length >= 2);
    assert.deepEqual(peer.received.slice(0, 2).map((m) => m.type), ["have-none", "extended"]);
    await magnet.provideMetadata(metainfo);
    await settle(() => peer.ofType("allowed-fast").length === 5);
    await settle();
    assert.deepEqual(
      peer.ofType("have").map((have) => have.index).sort((a, b) => a - b),
      [...onDisk].sort((a, b) => a - b),
    );
    assert.deepEqual(peer.ofType("allowed-fast").map((m) => m.index), set.slice(0, 5));
    assert.equal(peer.ofType("bitfield").length + peer.ofType("have-all").length, 0);
    const [record] = magnet.session.peers.values();
    assert.ok(record.allowedFastByPeer.size <= MAX_ALLOWED_FAST_KEPT);
    assert.ok(
      [...record.allowedFastByPeer].every((index) => index < metainfo.pieceCount),
      "allowances outside the torrent are dropped",
    );
    assert.equal(peer.closed, false);
    peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a choked Fast peer is served its allowed-fast pieces and hears reject for the others", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(80 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const peer = await ScriptedPeer.connect(world, "10.0.3.7", seed.endpoint, metainfo, {
      fast: true,
    });
    await settle(() => peer.ofType("allowed-fast").length === ALLOWED_FAST_COUNT);
    const set = allowedFastSet(metainfo.infoHash, "10.0.3.7", metainfo.pieceCount, 10);
    assert.deepEqual(peer.ofType("allowed-fast").map((m) => m.index), set);
    // Not interested, so never unchoked: it asks for one allowed piece and one other.
    const other = [...Array(metainfo.pieceCount).keys()].find((index) => !set.includes(index))!;
    const asked = [
      ...blocksOf(metainfo, set[0], set[0] + 1),
      ...blocksOf(metainfo, other, other + 1),
    ];
    await peer.send(...asked.map(request));
    await settle(() => peer.ofType("piece").length + peer.ofType("reject").length === 4);
    assert.equal(peer.unchoked, false);
    const offset = set[0] * metainfo.pieceLength;
    assert.deepEqual(
      peer.ofType("piece").map(({ index, begin, block }) => [index, begin, block]),
      [
        [set[0], 0, data.slice(offset, offset + BLOCK_SIZE)],
        [set[0], BLOCK_SIZE, data.slice(offset + BLOCK_SIZE, offset + 2 * BLOCK_SIZE)],
      ],
    );
    assert.deepEqual(peer.ofType("reject").map(key), asked.slice(2).map(key));
    peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a Fast peer hears reject for requests while choked and for pieces we lack; a peer without Fast hears nothing", async () => {
  for (const fast of [true, false]) {
    const world = new EngineWorld();
    const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
    // A downloader with pieces 0 and 1.
    const held = new Uint8Array(data.length);
    held.set(data.subarray(0, 4 * BLOCK_SIZE));
    try {
      const ours = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, held]]) });
      await ours.client.add(metainfo, { directory: "/", mode: "write" });
      const peer = await ScriptedPeer.connect(world, "10.0.0.5", ours.endpoint, metainfo, { fast });
      const whileChoked = { index: 0, begin: 0, length: BLOCK_SIZE };
      await peer.send(request(whileChoked), { type: "interested" });
      await settle(() => peer.unchoked);
      const lacking = { index: 3, begin: 0, length: BLOCK_SIZE };
      const held0 = { index: 1, begin: BLOCK_SIZE, length: BLOCK_SIZE };
      await peer.send(request(lacking), request(held0));
      await settle(() => peer.ofType("piece").length === 1);
      await settle();
      assert.deepEqual(
        peer.ofType("reject").map(key),
        fast ? [key(whileChoked), key(lacking)] : [],
      );
      assert.deepEqual(peer.ofType("piece").map(answerTo), [key(held0)]);
      assert.equal(peer.closed, false);
      peer.close();
    } finally {
      await world.close();
    }
  }
});

Deno.test("engine: when we choke a Fast peer, each waiting request gets a reject but those of its allowed-fast pieces, which are still served; without Fast they are dropped", async () => {
  for (const fast of [true, false]) {
    const world = new EngineWorld();
    // 128 pieces of 2 blocks: more than a stalled pipe and send queue hold.
    const { metainfo, data } = testTorrent(256 * BLOCK_SIZE, 2 * BLOCK_SIZE);
    try {
      const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
      await seed.client.add(metainfo, { directory: "/", mode: "read" });
      const peer = await ScriptedPeer.connect(world, "10.0.0.5", seed.endpoint, metainfo, { fast });
      await peer.send({ type: "interested" });
      await settle(() => peer.unchoked);
      const set = fast ? peer.ofType("allowed-fast").map((m) => m.index) : [];
      assert.equal(set.length, fast ? ALLOWED_FAST_COUNT : 0);
      // It stops reading, asks for everything, then loses interest: the next round chokes it.
      peer.stopReading(true);
      const asked = blocksOf(metainfo, 0, metainfo.pieceCount);
      await peer.send(...asked.map(request), { type: "not-interested" });
      await settle();
      await world.pass(10_000);
      peer.stopReading(false);
      const answers = () => peer.ofType("piece").length + peer.ofType("reject").length;
      if (fast) {
        await settle(() => answers() === asked.length);
      } else {
        await settle(() => peer.ofType("choke").length === 1);
      }
      await settle();
      const choke = peer.received.findIndex((m) => m.type === "choke");
      assert.ok(choke > 0, "it was choked");
      const after = peer.received.slice(choke + 1);
      const servedAfter = after.filter((m) => m.type === "piece");
      const pieces = peer.ofType("piece");
      assert.ok(pieces.length > 0 && pieces.length < asked.length, "some were served before");
      // Exactly one answer per request, in all.
      const answered = [...pieces, ...peer.ofType("reject")].map(answerTo).sort();
      assert.equal(new Set(answered).size, answered.length, "nothing answered twice");
      if (fast) {
        assert.deepEqual(answered, asked.map(key).sort());
        assert.ok(
          servedAfter.every((m) => m.type === "piece" && set.includes(m.index)),
          "after the choke only allowed-fast pieces are served",
        );
        const rejected = peer.ofType("reject");
        assert.ok(rejected.length > 0 && rejected.every((m) => !set.includes(m.index)));
      } else {
        assert.equal(peer.ofType("reject").length, 0);
        assert.equal(servedAfter.length, 0, "nothing is served after the choke");
      }
      assert.equal(peer.closed, false);
      peer.close();
    } finally {
      await world.close();
    }
  }
});

Deno.test("engine: a request waiting for the upload limit when we choke a Fast peer still gets its one answer", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(24 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    // One block a second: the queue is worked through slower than the choking round comes.
    const seed = world.client("10.0.0.1", {
      seeded: new Map([[metainfo.infoHash.hex, data]]),
      maxUploadRate: BLOCK_SIZE,
    });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const peer = await ScriptedPeer.connect(world, "10.0.0.5", seed.endpoint, metainfo, {
      fast: true,
    });
    await peer.send({ type: "interested" });
    await settle(() => peer.unchoked);
    const asked = blocksOf(metainfo, 0, metainfo.pieceCount);
    await peer.send(...asked.map(request), { type: "not-interested" });
    await world.pass(10_000);
    await settle(() => peer.ofType("choke").length === 1);
    await world.pass(2_000);
    const answers = [...peer.ofType("piece"), ...peer.ofType("reject")];
    assert.ok(peer.ofType("piece").length < asked.length, "the choke came first");
    assert.ok(peer.ofType("reject").length > 0);
    assert.equal(answers.length, asked.length, "one answer per request, the one being read too");
    peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a reject hands the block to another peer at once, and the rejecting peer is not asked for that piece again", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(16 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const connect = async (ip: string) => {
      const peer = await ScriptedPeer.connect(
        world,
        { ip, port: 7000 },
        leech.endpoint,
        metainfo,
        { fast: true },
      );
      await peer.send({ type: "have-all" }, { type: "unchoke" });
      return peer;
    };
    const refuser = await connect("10.0.0.5");
    const server = await connect("10.0.0.6");
    await settle(() => refuser.ofType("request").length > 0 && server.ofType("request").length > 0);
    const refused = refuser.ofType("request").map(key);
    const refusedPieces = new Set(refuser.ofType("request").map((r) => r.index));
    // One refuses everything it is asked; the other serves. The clock never moves:
    // no stall timeout can be what hands the work over.
    const byRefuser = new Set<string>();
    const byServer = new Set<string>();
    await settle(() => {
      answer(refuser, data, metainfo.pieceLength, byRefuser, () => true);
      answer(server, data, metainfo.pieceLength, byServer);
      return getting.session.complete;
    });
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    const servedKeys = server.ofType("request").map(key);
    assert.ok(refused.every((id) => servedKeys.includes(id)), "the other peer was asked instead");
    const askedAgain = refuser.ofType("request").slice(refused.length)
      .filter((r) => refusedPieces.has(r.index));
    assert.deepEqual(askedAgain, [], "a refused piece is not asked of the refuser again");
    assert.equal(refuser.closed, false, "rejects of what we asked cost nothing");
    assert.equal(getting.session.stats().failedPieces, 0);
  } finally {
    await world.close();
  }
});

Deno.test("engine: allowed-fast pieces from a peer that chokes us are downloaded, and only those", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(40 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const { getting, peer } = await leechWithFastPeer(world, metainfo);
    await peer.send({ type: "have-all" });
    // It chokes us for 20 s first: the stall timeout counts from when we ask, not from connecting.
    await world.pass(20_000);
    assert.equal(peer.ofType("request").length, 0);
    const allowed = [3, 7, 11];
    await peer.send(...allowed.map((index): Message => ({ type: "allowed-fast", index })));
    // Asked for as many as a peer whose rate is not known yet gets; the rest as blocks come.
    await settle(() => peer.ofType("request").length === MIN_PIPELINE_DEPTH);
    await world.pass(5_000);
    const answered = new Set<string>();
    await settle(() => {
      answer(peer, data, metainfo.pieceLength, answered);
      return getting.session.stats().verifiedPieces === allowed.length;
    });
    assert.deepEqual(verified(getting.session.have), allowed);
    assert.ok(peer.ofType("request").every((r) => allowed.includes(r.index)));
    assert.equal(peer.closed, false);
    peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a Fast peer that chokes us keeps its allowed-fast requests; its late blocks and rejects of the rest cost it nothing", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(40 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const { getting, peer } = await leechWithFastPeer(world, metainfo);
    const allowed = [2, 17];
    await peer.send({ type: "have-all" }, { type: "unchoke" });
    // Alone, it is asked for every block once the first ones (pieces 0 and 1) show its rate.
    await settle(() => peer.ofType("request").length === MIN_PIPELINE_DEPTH);
    const first = new Set<string>();
    await answer(peer, data, metainfo.pieceLength, first);
    await settle(() => peer.ofType("request").length === 2 * metainfo.pieceCount);
    await peer.send(
      ...allowed.map((index): Message => ({ type: "allowed-fast", index })),
      { type: "choke" },
    );
    await settle();
    assert.equal(
      peer.ofType("request").length,
      2 * metainfo.pieceCount,
      "nothing asked again: the requests of allowed pieces stayed with it",
    );
    const others = peer.ofType("request").filter((r) =>
      !allowed.includes(r.index) && !first.has(key(r))
    );
    assert.ok(others.length > MAX_UNASKED_REJECTS, "more rejects than unasked ones are let off");
    // Two of the rest come late as blocks, the others are rejected; then the allowed ones come.
    const [late1, late2, ...rest] = others;
    const answered = new Set([...first, ...[late1, late2, ...rest].map(key)]);
    for (const block of [late1, late2]) {
      const offset = block.index * metainfo.pieceLength + block.begin;
      await peer.send({
        type: "piece",
        index: block.index,
        begin: block.begin,
        block: data.slice(offset, offset + block.length),
      });
    }
    await peer.send(...rest.map(({ index, begin, length }): Message => ({
      type: "reject",
      index,
      begin,
      length,
    })));
    await answer(peer, data, metainfo.pieceLength, answered);
    await settle(() => getting.session.stats().verifiedPieces === 2 + allowed.length);
    await settle();
    assert.deepEqual(verified(getting.session.have), [0, 1, ...allowed]);
    assert.equal(peer.closed, false);
    assert.equal(getting.session.stats().failedPieces, 0);
    peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: floods of allowed-fast, suggest and reject messages stay bounded", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(400 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const connect = (ip: string, fast = true) =>
      ScriptedPeer.connect(world, { ip, port: 7000 }, leech.endpoint, metainfo, { fast });
    const hinter = await connect("10.0.0.5");
    for (let round = 0; round < 5; round++) {
      await hinter.send(
        ...Array.from({ length: 1000 }, (_, i): Message => ({
          type: i % 2 ? "allowed-fast" : "suggest",
          index: (round * 1000 + i) % metainfo.pieceCount,
        })),
      );
    }
    const rejecter = await connect("10.0.0.6");
    await rejecter.send(
      ...Array.from({ length: 1000 }, (_, i): Message => ({
        type: "reject",
        index: i % metainfo.pieceCount,
        begin: 0,
        length: BLOCK_SIZE,
      })),
    );
    const notFast = await connect("10.0.0.7", false);
    await notFast.send({ type: "suggest", index: 1 });
    await settle(() => rejecter.closed && notFast.closed);
    await settle();
    assert.equal(hinter.closed, false, "hints are only hints");
    const hinterRecord = [...getting.session.peers.values()].find((p) =>
      p.endpoint.ip === "10.0.0.5"
    )!;
    assert.equal(hinterRecord.allowedFastByPeer.size, MAX_ALLOWED_FAST_KEPT);
    assert.deepEqual([...getting.session.peers.values()].map((p) => p.endpoint.ip), ["10.0.0.5"]);
    hinter.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a Fast peer asking for pieces we lack is cut off after a bounded number of rejects", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const { peer } = await leechWithFastPeer(world, metainfo);
    await peer.send({ type: "interested" });
    await settle(() => peer.unchoked);
    const lacking = { index: 3, begin: 0, length: BLOCK_SIZE };
    await peer.send(...Array.from({ length: MAX_REFUSED_REQUESTS }, () => request(lacking)));
    await settle(() => peer.ofType("reject").length === MAX_REFUSED_REQUESTS);
    assert.equal(peer.closed, false, "each one rejected");
    await peer.send(request(lacking));
    await settle(() => peer.closed);
    assert.equal(peer.ofType("reject").length, MAX_REFUSED_REQUESTS);
  } finally {
    await world.close();
  }
});

Deno.test("engine: a Fast peer that asks and cancels without reading is dropped before the rejects it earns pile up", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const peer = await ScriptedPeer.connect(world, "10.0.0.5", seed.endpoint, metainfo, {
      fast: true,
    });
    await peer.send({ type: "interested" });
    await settle(() => peer.unchoked);
    peer.stopReading(true);
    const block = { index: 1, begin: 0, length: BLOCK_SIZE };
    const pairs = Array.from({ length: 10_000 }, (): Message[] => [
      request(block),
      { type: "cancel", ...block },
    ]).flat();
    let most = 0;
    for (let burst = 0; burst < 20 && seeding.session.peers.size > 0; burst++) {
      await peer.send(...pairs);
      await settle();
      for (const record of seeding.session.peers.values()) {
        most = Math.max(most, record.connection.queuedBytes);
      }
    }
    assert.equal(seeding.session.peers.size, 0, "dropped");
    assert.ok(most <= 2 * 512 * 1024 + 17, `at most ${most} bytes were queued`);
  } finally {
    await world.close();
  }
});
