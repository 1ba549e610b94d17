/** The process's download and upload limits, over in-memory pipes with the test's clock. */
import assert from "node:assert/strict";
import { BLOCK_SIZE } from "../../src/wire/mod.ts";
import { EngineWorld, settle, testTorrent } from "./engine_helpers.ts";

/**
 * Moves the clock in small steps with a few turns of the event loop after
 * each: every read waits on the limiter's timer, so a coarse step would
 * starve the pipes, and the default settling between steps is slow here.
 */
async function passQuickly(world: EngineWorld, ms: number, step = 20): Promise<void> {
  for (let passed = 0; passed < ms; passed += step) {
    world.clock.advance(step);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("engine: a download limit shared by two seeds' connections holds second by second", async () => {
  const world = new EngineWorld();
  const rate = 64 * 1024;
  const { metainfo, data } = testTorrent(16 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seeded = new Map([[metainfo.infoHash.hex, data]]);
    const seeds = [world.client("10.0.0.1", { seeded }), world.client("10.0.0.3", { seeded })];
    for (const seed of seeds) await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leech = world.client("10.0.0.2", { maxDownloadRate: rate });
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect(seeds.map((seed) => seed.endpoint));
    await settle(() => getting.session.peers.size === 2);
    // Each connection may be one small read ahead of the bucket of a tenth of a second.
    const slack = rate / 10 + 2 * 4096 + 1024;
    for (let second = 1; second <= 3; second++) {
      await passQuickly(world, 1000);
      const received = getting.session.stats().downloaded;
      assert.ok(received <= rate * second + slack, `${received} bytes after ${second} s`);
      assert.ok(received >= rate * second * 0.8, `only ${received} bytes after ${second} s`);
    }
    await passQuickly(world, 2000);
    await settle(() => getting.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
  } finally {
    await world.close();
  }
});

Deno.test("engine: an upload limit shared by a seed's two leechers holds second by second", async () => {
  const world = new EngineWorld();
  const rate = 64 * 1024;
  const { metainfo, data } = testTorrent(32 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  try {
    const seeded = new Map([[metainfo.infoHash.hex, data]]);
    const seed = world.client("10.0.0.1", { seeded, maxUploadRate: rate });
    const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leeches = [world.client("10.0.0.2"), world.client("10.0.0.3")];
    for (const leech of leeches) {
      const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
      getting.session.connect([seed.endpoint]);
    }
    await settle(() => seeding.session.peers.size === 2);
    // The bucket holds a tenth of a second; a block in flight may come on top of it.
    const slack = rate / 10 + BLOCK_SIZE;
    for (let second = 1; second <= 4; second++) {
      await passQuickly(world, 1000);
      const sent = seeding.session.stats().uploaded;
      assert.ok(sent <= rate * second + slack, `${sent} bytes after ${second} s`);
      assert.ok(sent >= rate * second * 0.8, `only ${sent} bytes after ${second} s`);
    }
  } finally {
    await world.close();
  }
});
