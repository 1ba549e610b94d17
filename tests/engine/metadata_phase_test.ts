/**
 * A torrent known by its info hash alone, and the BEP 10 extension
 * registry: what the next features (magnet links, metadata exchange, peer
 * exchange) build on.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import type { Extension, ExtensionHost } from "../../src/session/mod.ts";
import { Bitfield, BLOCK_SIZE } from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

Deno.test("engine: a torrent added by info hash connects, asks for nothing, keeps what peers have, and downloads once its metadata arrives", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(12 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    // No ut_metadata: the metadata comes from the test, when it chooses.
    const leech = world.client("10.0.0.2", { extensions: [] });
    const magnet = leech.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    assert.equal(magnet.info, undefined);
    assert.equal(magnet.session.name, metainfo.infoHash.hex);
    magnet.session.connect([seed.endpoint]);
    // An early peer of our own: its have messages wait for the metadata too.
    const early = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo);
    await early.send({ type: "have", index: 3 }, { type: "have", index: 4 });
    await settle(() => magnet.session.peers.size === 2);
    await settle();
    const [seedPeer] = [...magnet.session.peers.values()].filter((p) =>
      p.endpoint.ip === "10.0.0.1"
    );
    // Our seed speaks Fast, so it said have-all: kept until the piece count is known.
    assert.ok(seedPeer.hasAll, "the seed's have-all is kept");
    assert.equal(magnet.session.stats().downloaded, 0);
    assert.equal(early.ofType("request").length, 0, "nothing is asked before the metadata");
    assert.equal(early.ofType("interested").length, 0);

    await magnet.provideMetadata(metainfo);
    await settle(() => magnet.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    const earlyPeer = [...magnet.session.peers.values()].find((p) => p.endpoint.ip === "10.0.0.5");
    assert.deepEqual(
      [...Array(metainfo.pieceCount).keys()].filter((i) => earlyPeer?.have?.has(i)),
      [3, 4],
      "haves from before the metadata, applied",
    );
    early.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a bitfield that does not fit the torrent closes that connection when the metadata arrives", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(12 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const leech = world.client("10.0.0.2");
    const magnet = leech.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    const liar = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo);
    // 6 pieces: one byte with two spare bits; this one says it has 24 pieces.
    await liar.send({ type: "bitfield", bitfield: new Bitfield(24) });
    const ranged = await ScriptedPeer.connect(world, "10.0.0.6", leech.endpoint, metainfo);
    await ranged.send({ type: "have", index: 6 });
    await settle(() => magnet.session.peers.size === 2);
    await settle();
    assert.equal(liar.closed || ranged.closed, false, "nothing to check against yet");
    await magnet.provideMetadata(metainfo);
    await settle(() => liar.closed && ranged.closed);
    assert.equal(magnet.session.peers.size, 0);
  } finally {
    await world.close();
  }
});

Deno.test("engine: pieces already on disk are told as haves to peers that came before the metadata, as a bitfield first to later ones", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  // A resumed download: the first two pieces are on disk already.
  const resumed = new Uint8Array(data.length);
  resumed.set(data.subarray(0, 4 * BLOCK_SIZE));
  try {
    const leech = world.client("10.0.0.2", { seeded: new Map([[metainfo.infoHash.hex, resumed]]) });
    const magnet = leech.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    const before = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo);
    await settle(() => magnet.session.peers.size === 1);
    await settle();
    await magnet.provideMetadata(metainfo);
    await settle(() => before.ofType("have").length === 2);
    assert.deepEqual(before.ofType("have").map((have) => have.index), [0, 1]);
    assert.equal(before.ofType("bitfield").length, 0);
    const after = await ScriptedPeer.connect(world, "10.0.0.6", leech.endpoint, metainfo);
    await settle(() => after.received.length >= 2);
    assert.equal(after.received[0].type, "bitfield", "the bitfield comes first");
    assert.equal(after.received[1].type, "extended", "then the extension handshake");
    assert.equal(before.received[0].type, "extended");
    before.close();
    after.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: metadata for another torrent is refused", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(4 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const other = testTorrent(4 * BLOCK_SIZE, 2 * BLOCK_SIZE, 7).metainfo;
  try {
    const leech = world.client("10.0.0.2");
    const magnet = leech.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    await assert.rejects(
      () => magnet.provideMetadata(other),
      /metadata of [0-9a-f]{40} for torrent/,
    );
    assert.equal(magnet.info, undefined);
  } finally {
    await world.close();
  }
});

/** A toy extension: says hello on every handshake and records what it hears. */
class Greeter implements Extension {
  readonly name = "p2p_greeting";
  readonly heard: string[] = [];

  constructor(readonly host: ExtensionHost, readonly greeting: string) {}

  onHandshake(peer: Parameters<NonNullable<Extension["onHandshake"]>>[0]): void {
    this.host.send(peer, this.name, encode({ text: this.greeting }));
  }

  onMessage(_peer: unknown, payload: Uint8Array): void {
    this.heard.push(new TextDecoder().decode(payload));
  }
}

Deno.test("engine: an extension registers by name, adds to our handshake, and gets its own messages by the peer's id", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(4 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const greeters: Greeter[] = [];
  const greeting = (text: string) => (host: ExtensionHost) => {
    const greeter = new Greeter(host, text);
    greeters.push(greeter);
    return greeter;
  };
  try {
    const seed = world.client("10.0.0.1", {
      seeded: new Map([[metainfo.infoHash.hex, data]]),
      extensions: [greeting("hello from the seed")],
    });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    // The leecher speaks a second extension first, so the two sides' ids differ.
    const other: Extension = { name: "p2p_other", onMessage() {} };
    const leech = world.client("10.0.0.2", {
      extensions: [() => other, greeting("hello from the leecher")],
    });
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect([seed.endpoint]);
    await settle(() => greeters.every((greeter) => greeter.heard.length === 1));
    const [seedSide, leechSide] = greeters;
    assert.deepEqual(seedSide.heard, ["d4:text22:hello from the leechere"]);
    assert.deepEqual(leechSide.heard, ["d4:text19:hello from the seede"]);
    const [seedPeer] = getting.session.peers.values();
    assert.deepEqual([...seedPeer.extensions.messages], [["p2p_greeting", 1]]);
    assert.equal(seedPeer.extensions.client, "p2p test");
    assert.equal(seedPeer.extensions.maxQueuedRequests, 512);
    await settle(() => getting.session.complete);
  } finally {
    await world.close();
  }
});
