/**
 * ut_metadata (BEP 9) in the engine: a torrent started from its info hash
 * fetches its info dictionary from peers, checked and validated; a torrent
 * with metadata serves it; liars and malformed answers are forgotten.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { encode } from "../../src/bencode/mod.ts";
import { MAX_METADATA_SIZE } from "../../src/extensions/mod.ts";
import { InfoHash } from "../../src/metainfo/mod.ts";
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_SIZE,
  type MetadataMessage,
  parseExtensionHandshake,
} from "../../src/wire/mod.ts";
import { EngineWorld, ScriptedPeer, settle, testTorrent } from "./engine_helpers.ts";

/**
 * A Client at 10.0.0.2 holding a torrent by its info hash alone (`metadataOnly`:
 * stopping at the metadata, opening no data).
 */
function magnetLeech(
  world: EngineWorld,
  infoHash: InfoHash,
  options: { metadataOnly?: boolean; log?: (line: string) => void } = {},
) {
  const leech = world.client("10.0.0.2", { log: options.log });
  const magnet = leech.client.addInfoHash(
    { infoHash, trackerTiers: [] },
    { directory: "/", mode: "write", metadataOnly: options.metadataOnly },
  );
  return { leech, magnet };
}

/** The ids our scripted peers give the extensions in their handshakes. */
const IDS = { ut_metadata: 3, ut_pex: 4 };

/** A scripted peer's extension handshake, offering `metadataSize` bytes of metadata if given. */
function handshake(metadataSize?: number) {
  return {
    type: "extended" as const,
    extendedId: 0,
    payload: encode({ m: IDS, ...(metadataSize ? { metadata_size: metadataSize } : {}) }),
  };
}

function metadataMessage(message: MetadataMessage) {
  return {
    type: "extended" as const,
    extendedId: 1, // the Client's id for ut_metadata: the first extension it registers
    payload: encodeMetadataMessage(message),
  };
}

/** The ut_metadata messages `peer` received. */
function metadataReceived(peer: ScriptedPeer): MetadataMessage[] {
  return peer.extended(IDS, "ut_metadata").map(decodeMetadataMessage);
}

/**
 * A scripted peer that answers every metadata request from `infoBytes`
 * (changed by `tamper` first, to make a liar). It offers the metadata in
 * its extension handshake when `offer()` is called.
 */
async function metadataServer(
  world: EngineWorld,
  ip: string,
  to: { ip: string; port: number },
  { infoHash, infoBytes: bytes }: { infoHash: InfoHash; infoBytes: Uint8Array },
  tamper: (piece: number, data: Uint8Array) => Uint8Array = (_, data) => data,
): Promise<ScriptedPeer & { offer(): Promise<void> }> {
  const peer = await ScriptedPeer.connect(world, ip, to, { infoHash });
  peer.onMessage = (message) => {
    if (message.type !== "extended" || message.extendedId !== IDS.ut_metadata) return;
    const request = decodeMetadataMessage(message.payload);
    if (request.type !== "request") return;
    const start = request.piece * METADATA_PIECE_SIZE;
    const data = tamper(request.piece, bytes.slice(start, start + METADATA_PIECE_SIZE));
    peer.send(
      metadataMessage({ type: "data", piece: request.piece, totalSize: bytes.length, data }),
    );
  };
  return Object.assign(peer, { offer: () => peer.send(handshake(bytes.length)) });
}

/** A torrent whose info dictionary takes three metadata pieces (2,000 pieces of 1 KiB). */
function bigInfoTorrent() {
  const torrent = testTorrent(2000 * 1024, 1024, 3);
  assert.ok(torrent.metainfo.infoBytes.length > 2 * METADATA_PIECE_SIZE);
  return torrent;
}

Deno.test("engine: a magnet download fetches the metadata from a seed and then the data", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(12 * 16384, 32768);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const { leech, magnet } = magnetLeech(world, metainfo.infoHash);
    magnet.session.connect([seed.endpoint]);
    const info = await magnet.whenMetadata();
    assert.deepEqual(info.infoBytes, metainfo.infoBytes);
    await settle(() => magnet.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
  } finally {
    await world.close();
  }
});

Deno.test("engine: metadata of three pieces is asked of two peers at once and assembled", async () => {
  const world = new EngineWorld();
  const { metainfo } = bigInfoTorrent();
  try {
    const { leech, magnet } = magnetLeech(world, metainfo.infoHash, { metadataOnly: true });
    const servers = [
      await metadataServer(world, "10.0.0.5", leech.endpoint, metainfo),
      await metadataServer(world, "10.0.0.6", leech.endpoint, metainfo),
    ];
    // Both offer before either answers.
    await Promise.all(servers.map((server) => server.offer()));
    const info = await magnet.whenMetadata();
    assert.equal(info.name, metainfo.name);
    assert.deepEqual(info.pieceHashes, metainfo.pieceHashes);
    const asked = servers.map((server) => metadataReceived(server).length);
    assert.equal(asked[0] + asked[1], 3, "each piece asked once");
    assert.ok(asked.every((count) => count > 0), `both peers asked: ${asked}`);
    assert.equal(magnet.info, undefined, "metadata only: no data opened");
    for (const server of servers) server.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a peer whose metadata does not match the info hash is forgotten, and an honest one's is used", async () => {
  const world = new EngineWorld();
  const { metainfo } = bigInfoTorrent();
  const lines: string[] = [];
  try {
    const { leech, magnet } = magnetLeech(world, metainfo.infoHash, {
      metadataOnly: true,
      log: (line) => lines.push(line),
    });
    const liar = await metadataServer(
      world,
      "10.0.0.5",
      leech.endpoint,
      metainfo,
      (piece, data) => piece === 1 ? data.map((byte) => byte ^ 1) : data,
    );
    await liar.offer();
    await settle(() => liar.closed);
    assert.ok(lines.some((line) => /does not match the info hash/.test(line)), lines.join("\n"));
    const honest = await metadataServer(world, "10.0.0.6", leech.endpoint, metainfo);
    await honest.offer();
    const info = await magnet.whenMetadata();
    assert.deepEqual(info.infoBytes, metainfo.infoBytes);
    honest.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: with a liar and an honest peer sending pieces together, the metadata still comes out right", async () => {
  const world = new EngineWorld();
  const { metainfo } = bigInfoTorrent();
  try {
    const { leech, magnet } = magnetLeech(world, metainfo.infoHash, { metadataOnly: true });
    const corrupt = (_: number, data: Uint8Array) => data.map((byte) => byte ^ 0xff);
    const peers = [
      await metadataServer(world, "10.0.0.5", leech.endpoint, metainfo, corrupt),
      await metadataServer(world, "10.0.0.6", leech.endpoint, metainfo),
    ];
    await Promise.all(peers.map((peer) => peer.offer()));
    const info = await magnet.whenMetadata();
    assert.deepEqual(info.infoBytes, metainfo.infoBytes);
    assert.ok(peers.every((peer) => metadataReceived(peer).length > 0), "both were asked");
    for (const peer of peers) peer.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: metadata over the size limit is not asked for; a changed total size or a short piece closes the peer", async () => {
  const world = new EngineWorld();
  const { metainfo } = bigInfoTorrent();
  try {
    const { leech } = magnetLeech(world, metainfo.infoHash, { metadataOnly: true });
    const connect = (ip: string) =>
      ScriptedPeer.connect(world, { ip, port: 7000 }, leech.endpoint, metainfo);
    const huge = await connect("10.0.0.5");
    await huge.send(handshake(MAX_METADATA_SIZE + 1));
    const resized = await connect("10.0.0.6");
    resized.onMessage = (message) => {
      if (message.type !== "extended" || message.extendedId !== IDS.ut_metadata) return;
      const request = decodeMetadataMessage(message.payload);
      if (request.type !== "request") return;
      resized.send(metadataMessage({
        type: "data",
        piece: request.piece,
        totalSize: metainfo.infoBytes.length + 1,
        data: new Uint8Array(METADATA_PIECE_SIZE),
      }));
    };
    await resized.send(handshake(metainfo.infoBytes.length));
    await settle(() => resized.closed);
    assert.equal(huge.closed, false);
    assert.equal(metadataReceived(huge).length, 0, "oversized metadata is not asked for");

    const short = await connect("10.0.0.7");
    short.onMessage = (message) => {
      if (message.type !== "extended" || message.extendedId !== IDS.ut_metadata) return;
      const request = decodeMetadataMessage(message.payload);
      if (request.type !== "request") return;
      short.send(metadataMessage({
        type: "data",
        piece: request.piece,
        totalSize: metainfo.infoBytes.length,
        data: new Uint8Array(100),
      }));
    };
    await short.send(handshake(metainfo.infoBytes.length));
    await settle(() => short.closed);
    huge.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: metadata that matches the info hash but breaks the .torrent rules fails the torrent with one line", async () => {
  const world = new EngineWorld();
  // A path that climbs out of the download directory, under the hash of exactly these bytes.
  const infoBytes = encode({
    files: [{ length: 1024, path: ["..", "escape.txt"] }],
    name: "evil",
    "piece length": 16384,
    pieces: new Uint8Array(20),
  });
  const infoHash = InfoHash.fromBytes(createHash("sha1").update(infoBytes).digest());
  try {
    const leech = world.client("10.0.0.2");
    const magnet = leech.client.addInfoHash(
      { infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    const server = await metadataServer(world, "10.0.0.5", leech.endpoint, { infoHash, infoBytes });
    await server.offer();
    await assert.rejects(() => magnet.whenMetadata(), /the torrent's metadata is invalid: .*\.\./);
    assert.equal(magnet.info, undefined);
    server.close();
  } finally {
    await world.close();
  }
});

Deno.test("engine: a seed serves its metadata piece by piece, rejects what it cannot serve, and ignores unknown message types", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = bigInfoTorrent();
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const asker = await ScriptedPeer.connect(world, "10.0.0.5", seed.endpoint, metainfo);
    await asker.send(handshake());
    await settle(() => asker.ofType("extended").length > 0);
    const theirs = parseExtensionHandshake(asker.ofType("extended")[0].payload);
    const size = theirs.metadataSize!;
    assert.equal(size, metainfo.infoBytes.length, "metadata_size in the seed's handshake");
    assert.equal(theirs.messages.get("ut_metadata"), 1);
    assert.equal(theirs.client, "p2p test");
    const pieces = Math.ceil(size / METADATA_PIECE_SIZE);
    await asker.send(
      ...Array.from({ length: pieces }, (_, piece) => metadataMessage({ type: "request", piece })),
      metadataMessage({ type: "request", piece: pieces }),
      { type: "extended", extendedId: 1, payload: encode({ msg_type: 7, piece: 0 }) },
    );
    await settle(() => metadataReceived(asker).length === pieces + 1);
    const answers = metadataReceived(asker);
    const assembled = new Uint8Array(size);
    for (const answer of answers.slice(0, pieces)) {
      assert.equal(answer.type, "data");
      if (answer.type !== "data") continue;
      assert.equal(answer.totalSize, size);
      assembled.set(answer.data, answer.piece * METADATA_PIECE_SIZE);
    }
    assert.deepEqual(assembled, metainfo.infoBytes);
    assert.deepEqual(answers[pieces], { type: "reject", piece: pieces });
    assert.equal(asker.closed, false, "an unknown msg_type is ignored");

    await asker.send({ type: "extended", extendedId: 1, payload: new Uint8Array([0x64, 0x31]) });
    await settle(() => asker.closed);
  } finally {
    await world.close();
  }
});

Deno.test("engine: before it has the metadata, a magnet download rejects metadata requests", async () => {
  const world = new EngineWorld();
  const { metainfo } = testTorrent(4 * 16384, 16384);
  try {
    const { leech } = magnetLeech(world, metainfo.infoHash);
    const asker = await ScriptedPeer.connect(world, "10.0.0.5", leech.endpoint, metainfo);
    await asker.send(handshake(), metadataMessage({ type: "request", piece: 0 }));
    await settle(() => metadataReceived(asker).length === 1);
    assert.deepEqual(metadataReceived(asker), [{ type: "reject", piece: 0 }]);
    asker.close();
  } finally {
    await world.close();
  }
});
