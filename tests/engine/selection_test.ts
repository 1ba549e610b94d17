/**
 * File selection in the engine: only the wanted pieces are asked for, the
 * selection is complete on its own, and a running torrent's selection can
 * widen.
 */
import assert from "node:assert/strict";
import { BLOCK_SIZE } from "../../src/wire/mod.ts";
import { EngineWorld, memoryStores, multiFileTorrent, settle } from "./engine_helpers.ts";

const PIECE = 2 * BLOCK_SIZE;
// a: pieces 0-2, b: pieces 2-5 (straddling both ends), c: pieces 5-8.
const FILES = [["a.bin", 5 * BLOCK_SIZE + 100], ["b.bin", 6 * BLOCK_SIZE], [
  "c.bin",
  7 * BLOCK_SIZE - 100,
]] as const;
const B_PIECES = [2, 3, 4, 5];

Deno.test("engine: a selection downloads only its pieces, completes, and widens on a running torrent", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = multiFileTorrent(FILES, PIECE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, {
      directory: "/",
      mode: "write",
      select: () => [1],
    });
    const session = getting.session;
    const wantedBytes = B_PIECES.length * PIECE;
    assert.equal(session.bytesLeft, wantedBytes, "announces say left for the selection");
    session.connect([seed.endpoint]);
    await settle(() => session.complete);
    await session.whenComplete();
    const have = [...Array(metainfo.pieceCount).keys()].filter((i) => session.have!.has(i));
    assert.deepEqual(have, B_PIECES);
    assert.equal(session.stats().downloaded, wantedBytes, "nothing but the selection");
    assert.equal(session.bytesLeft, 0);
    const peer = [...session.peers.values()][0];
    assert.equal(peer.amInterested, false, "a complete selection wants nothing more");

    await getting.select([0, 1, 2]);
    assert.equal(session.complete, false);
    assert.equal(session.bytesLeft, metainfo.totalLength - wantedBytes);
    await settle(() => session.complete);
    await session.whenComplete();
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    assert.equal(session.stats().downloaded, metainfo.totalLength, "each piece fetched once");
  } finally {
    await world.close();
  }
});

Deno.test("engine: a selection of only empty files is complete at once", async () => {
  const world = new EngineWorld();
  const { metainfo } = multiFileTorrent([["a.bin", 3 * PIECE], ["empty", 0]], PIECE);
  try {
    const leech = world.client("10.0.0.2");
    const getting = await leech.client.add(metainfo, {
      directory: "/",
      mode: "write",
      select: () => [1],
    });
    assert.equal(getting.session.complete, true);
    assert.equal(getting.session.bytesLeft, 0);
    await getting.session.whenComplete();
  } finally {
    await world.close();
  }
});

Deno.test("engine: --sequential deals the selection's pieces in order from its first", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = multiFileTorrent(FILES, PIECE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leech = world.client("10.0.0.2");
    const order: number[] = [];
    const getting = await leech.client.add(metainfo, {
      directory: "/",
      mode: "write",
      select: () => [1, 2],
      sequential: true,
      onPiece: (index) => order.push(index),
    });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.deepEqual(order, [2, 3, 4, 5, 6, 7, 8]);
  } finally {
    await world.close();
  }
});

Deno.test("engine: a download is finished only once its files have taken their final names", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = multiFileTorrent(FILES, PIECE);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    // A store whose renames (`.part` to the final name, on disk) end when the test says.
    const renamed = Promise.withResolvers<void>();
    let completions = 0;
    const stores = memoryStores();
    const leech = world.client("10.0.0.2", {
      openStore: async (...args) => {
        const opened = await stores.open(...args);
        opened.store.complete = () => (completions++, renamed.promise);
        return opened;
      },
    });
    const getting = await leech.client.add(metainfo, {
      directory: "/",
      mode: "write",
      select: () => [1],
    });
    const session = getting.session;
    session.connect([seed.endpoint]);
    await settle(() => completions === 1);
    assert.equal(session.complete, true, "every wanted piece is verified");
    assert.equal(session.finished, false, "but the files are still being renamed");
    renamed.resolve();
    await session.whenComplete();
    assert.equal(session.finished, true);

    await getting.select([0, 1]);
    assert.equal(session.finished, false, "a widened selection is not finished");
    await settle(() => completions === 2);
    await session.whenComplete();
    assert.equal(session.finished, true);
  } finally {
    await world.close();
  }
});
