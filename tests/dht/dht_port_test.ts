import assert from "node:assert/strict";
import { dhtPortPlugin } from "../../src/client/mod.ts";
import { DhtNode } from "../../src/dht/mod.ts";
import type { Peer } from "../../src/session/mod.ts";
import type { Message } from "../../src/wire/mod.ts";
import { seededRandom, SimClock, SimNetwork } from "./simulation.ts";

/** The parts of a peer the plugin touches: its handshake's reserved bytes, its address, send. */
function fakePeer(reservedLast: number) {
  const sent: Message[] = [];
  const reserved = new Uint8Array(8);
  reserved[7] = reservedLast;
  const peer = {
    reserved,
    endpoint: { ip: "10.0.0.2", port: 51413 },
    send: (m: Message) => sent.push(m),
  };
  return { peer: peer as unknown as Peer, sent };
}

Deno.test("dht PORT: sent to peers with the DHT bit only; a peer's DHT port is pinged into the table", async () => {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, random: seededRandom(2), latencyMs: [5, 5] });
  const ours = new DhtNode(network.attach({ ip: "10.0.0.1", port: 6881 }), { clock });
  const theirs = new DhtNode(network.attach({ ip: "10.0.0.2", port: 7000 }), { clock });
  try {
    const plugin = dhtPortPlugin(ours);
    const withBit = fakePeer(0x05);
    const without = fakePeer(0x04);
    plugin.onConnect!(withBit.peer);
    plugin.onConnect!(without.peer);
    assert.deepEqual(withBit.sent, [{ type: "port", port: 6881 }]);
    assert.deepEqual(without.sent, []);
    plugin.onMessage!(withBit.peer, { type: "port", port: 7000 });
    plugin.onMessage!(withBit.peer, { type: "have", index: 1 });
    await clock.run(undefined, 100);
    assert.ok(ours.table.get(theirs.id), "their node answered our ping and joined the table");
    assert.equal(ours.rpc.counters.queriesSent, 1);
  } finally {
    await ours.close();
    await theirs.close();
    clock.close();
  }
});
