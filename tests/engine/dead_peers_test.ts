/**
 * A swarm as trackers hand it out: most addresses dead. Each dead one here
 * refuses TCP at once and then swallows the uTP fallback, which waits out
 * the whole connect timeout; the live seed listed after them must still be
 * reached within the first round of attempts.
 */
import assert from "node:assert/strict";
import { CONNECT_TIMEOUT_MS } from "../../src/client/mod.ts";
import type { DatagramSocket } from "../../src/transport/mod.ts";
import { EngineWorld, settle, testTorrent } from "./engine_helpers.ts";

/** A UDP socket whose datagrams go nowhere and from which nothing comes. */
function blackHole(): DatagramSocket {
  return { port: 6881, send() {}, receive() {}, close() {} };
}

Deno.test("engine: thirty dead addresses before a live seed delay it by one connect timeout at most", async () => {
  const world = new EngineWorld();
  const { metainfo, data } = testTorrent(64 * 1024, 16 * 1024);
  try {
    const seed = world.client("10.0.0.1", { seeded: new Map([[metainfo.infoHash.hex, data]]) });
    await seed.client.add(metainfo, { directory: "/", mode: "read" });
    const leech = world.client("10.0.0.2", { datagrams: blackHole });
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    const dead = Array.from({ length: 30 }, (_, i) => ({ ip: `10.0.1.${i + 1}`, port: 6881 }));
    getting.session.connect([...dead, seed.endpoint]);
    await settle();
    // With ten attempts at a time the seed waited for three rounds of
    // timeouts (15 s); now every address is tried in the first round.
    await world.pass(CONNECT_TIMEOUT_MS + 1000);
    assert.equal(getting.session.peers.size, 1, "the seed is connected");
    await settle(() => getting.session.complete);
  } finally {
    await world.close();
  }
});
