/**
 * ut_pex (BEP 11) in the engine: peers learn of each other through a
 * third, at most once a minute; never on private torrents; hostile lists
 * stay bounded.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import { MAX_PEX_PEERS, PEX_INTERVAL_MS } from "../../src/extensions/mod.ts";
import { compactPeer } from "../../src/transport/mod.ts";
import { decodePex, encodePex, parseExtensionHandshake, PexFlag } from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

/** The ids our scripted peers give the extensions. */
const IDS = { ut_metadata: 3, ut_pex: 4 };
/** The Client's id for ut_pex: the second extension it registers. */
const CLIENT_PEX_ID = 2;

const scriptedHandshake = {
  type: "extended" as const,
  extendedId: 0,
  payload: encode({ m: IDS, p: 7000 }),
};

Deno.test("engine: a peer learns of another through peer exchange, on connecting and a minute later", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(64 * 16384, 32768);
  try {
    const hub = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await hub.client.add(metainfo, { directory: "/", mode: "read" });
    const first = world.client("10.0.0.2");
    const firstTorrent = await first.client.add(metainfo, { directory: "/", mode: "write" });
    firstTorrent.session.connect([hub.endpoint]);
    await settle(() => firstTorrent.session.peers.size === 1);
    const second = world.client("10.0.0.3");
    const secondTorrent = await second.client.add(metainfo, { directory: "/", mode: "write" });
    secondTorrent.session.connect([hub.endpoint]);
    // The second arrives after the hub told the first who it knows: the first hears of it a minute on.
    await settle(() => secondTorrent.session.peers.size >= 2);
    const secondPeers = [...secondTorrent.session.peers.values()].map((peer) => peer.endpoint.ip);
    assert.ok(secondPeers.includes("10.0.0.2"), `told of the first at once: ${secondPeers}`);
    await world.pass(PEX_INTERVAL_MS, 10_000);
    await settle(() =>
      [...firstTorrent.session.peers.values()].some((peer) => peer.endpoint.ip === "10.0.0.3")
    );
  } finally {
    await world.close();
  }
});

Deno.test("engine: what we send: connected peers with flags, at most once a minute, drops told later", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * 16384, 16384);
  try {
    const hub = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await hub.client.add(metainfo, { directory: "/", mode: "read" });
    const seed = world.client("10.0.0.4", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    const seedTorrent = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const hubTorrent = hub.client.get(metainfo.infoHash)!;
    hubTorrent.session.connect([seed.endpoint]);
    await settle(() => seedTorrent.session.peers.size === 1);
    // As if it came over uTP, encrypted: both go in its flags (pipes here carry nothing).
    const [seedPeer] = hubTorrent.session.peers.values();
    seedPeer.via = "uTP";
    seedPeer.encrypted = true;
    const watcher = await ScriptedPeer.connect(world, "10.0.0.5", hub.endpoint, metainfo);
    await watcher.send(scriptedHandshake);
    await settle(() => watcher.extended(IDS, "ut_pex").length === 1);
    const told = decodePex(watcher.extended(IDS, "ut_pex")[0], 100);
    assert.deepEqual(told.added, [{
      ip: "10.0.0.4",
      port: seed.endpoint.port,
      flags: PexFlag.seed | PexFlag.reachable | PexFlag.utp | PexFlag.encryption,
    }]);
    // Nothing changed: nothing more is sent, however long.
    await world.pass(2 * PEX_INTERVAL_MS, 10_000);
    assert.equal(watcher.extended(IDS, "ut_pex").length, 1);
    await seed.client.close();
    await settle(() => hubTorrent.session.peers.size === 1);
    await world.pass(PEX_INTERVAL_MS, 10_000);
    await settle(() => watcher.extended(IDS, "ut_pex").length === 2);
    const later = decodePex(watcher.extended(IDS, "ut_pex")[1], 100);
    assert.deepEqual(later.added, []);
    assert.deepEqual(later.dropped, [{ ip: "10.0.0.4", port: seed.endpoint.port }]);
    watcher.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: no peer exchange on a private torrent", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(8 * 16384, 16384, 1, { private: true });
  const lines: string[] = [];
  try {
    const hub = world.client("10.0.0.1", {
      seeded: new Map([[metainfo.infoHash.hex, data]]),
      log: (line) => lines.push(line),
    });
    await hub.client.add(metainfo, { directory: "/", mode: "read" });
    const watcher = await ScriptedPeer.connect(world, "10.0.0.5", hub.endpoint, metainfo);
    await watcher.send(scriptedHandshake);
    await settle(() => watcher.ofType("extended").length === 1);
    const theirs = parseExtensionHandshake(watcher.ofType("extended")[0].payload);
    assert.equal(theirs.messages.has("ut_pex"), false);
    assert.equal(theirs.messages.has("ut_metadata"), true);
    // Addressed to the id ut_pex would have had: not heard.
    await watcher.send({
      type: "extended",
      extendedId: CLIENT_PEX_ID,
      payload: encodePex({ added: [{ ip: "10.0.9.9", port: 6881, flags: 0 }], dropped: [] }),
    });
    await world.pass(PEX_INTERVAL_MS, 10_000);
    await settle();
    assert.equal(watcher.ofType("extended").length, 1, "no ut_pex message");
    assert.ok(!lines.some((line) => line.includes("10.0.9.9")), "no connection to a peer it named");
    watcher.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: hostile peer exchange: thousands of peers, too often, malformed, naming us", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(8 * 16384, 16384);
  const tried: string[] = [];
  try {
    const leech = world.client("10.0.0.2", {
      log: (line) => {
        const address = /could not connect to (\S+):/.exec(line)?.[1];
        if (address) tried.push(address);
      },
    });
    await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const hostile = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo);
    // 2,000 entries: 12 KB, within the message limit (a larger message closes the peer).
    const many = Array.from({ length: 2000 }, (_, i) => ({
      ip: `10.1.${i >> 8}.${i & 255}`,
      port: 6881,
      flags: 0,
    }));
    const ours = { ip: "10.0.0.2", port: leech.endpoint.port, flags: 0 };
    const pex = (added: typeof many) => ({
      type: "extended" as const,
      extendedId: CLIENT_PEX_ID,
      payload: encodePex({ added, dropped: [] }),
    });
    // Our own address (as the peer saw it, in `yourip`) first: it is left out.
    await hostile.send({
      type: "extended",
      extendedId: 0,
      payload: encode({ m: IDS, p: 7000, yourip: compactPeer("10.0.0.2", 0)!.subarray(0, 4) }),
    });
    await hostile.send(pex([ours, ...many]));
    await settle(() => tried.length >= MAX_PEX_PEERS - 1);
    await settle();
    assert.equal(tried.length, MAX_PEX_PEERS - 1, "50 parsed, ours left out");
    assert.ok(!tried.includes(`10.0.0.2:${leech.endpoint.port}`));
    // A second list within the minute is not heard.
    await hostile.send(pex(many.slice(100, 150)));
    await settle();
    assert.equal(tried.length, MAX_PEX_PEERS - 1);
    // Malformed, after the minute: ignored, the connection stays.
    await world.pass(PEX_INTERVAL_MS, 10_000);
    await hostile.send({
      type: "extended",
      extendedId: CLIENT_PEX_ID,
      payload: encode({ added: new Uint8Array(7) }),
    });
    await settle();
    assert.equal(hostile.closed, false);
    hostile.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: two peers that dial each other at once keep one connection, the same on both sides", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(64 * 16384, 32768);
  try {
    const half = data.slice();
    half.fill(0, half.length / 2);
    const a = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, half]]) });
    const b = world.client("10.0.0.2");
    const [aTorrent, bTorrent] = await Promise.all([
      a.client.add(metainfo, { directory: "/", mode: "write" }),
      b.client.add(metainfo, { directory: "/", mode: "write" }),
    ]);
    aTorrent.session.connect([b.endpoint]);
    bTorrent.session.connect([a.endpoint]);
    await settle(() => bTorrent.session.stats().verifiedPieces === 16);
    await settle();
    const [aSide] = aTorrent.session.peers.values();
    const [bSide] = bTorrent.session.peers.values();
    assert.equal(aTorrent.session.peers.size, 1);
    assert.equal(bTorrent.session.peers.size, 1);
    assert.equal(aSide.outgoing, !bSide.outgoing, "the same connection, dialled by one of them");
  } finally {
    await world.close();
  }
});
