/**
 * Twenty-two p2p Clients on real loopback sockets (TCP and UDP), joined
 * into one DHT through the first: a torrent seeded by one is found and
 * downloaded by another through its info hash alone, with no tracker.
 */
import assert from "node:assert/strict";
import { Client, type ClientTorrent } from "../../src/client/mod.ts";
import { supportsDht } from "../../src/wire/mod.ts";
import { memoryStores, testTorrent } from "../engine/engine_helpers.ts";

const NODES = 20;

function dhtClient(
  name: string,
  bootstrap: { ip: string; port: number }[],
  seeded?: Map<string, Uint8Array>,
) {
  const stores = memoryStores(seeded);
  const client = Client.listen({
    host: "127.0.0.1",
    clientName: `p2p/${name}`,
    peerSources: [],
    openStore: stores.open,
    dht: { bootstrap },
  });
  return { client, stores: stores.stores };
}

async function waitFor(what: string, done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("dht: 22 Clients on loopback find a seed by info hash alone and download from it", async () => {
  const clients: Client[] = [];
  try {
    const first = dhtClient("node0", []);
    clients.push(first.client);
    const router = [{ ip: "127.0.0.1", port: first.client.port }];
    // One after another, as nodes join a real DHT: each finds those before it.
    for (let i = 1; i < NODES; i++) {
      const { client } = dhtClient(`node${i}`, router);
      clients.push(client);
      await client.dht!.ready;
    }
    // Every node knows others besides the bootstrap node (those that joined later asked it).
    const sizes = clients.map((client) => client.dht!.table.size);
    assert.ok(sizes.every((size) => size >= 2), `table sizes ${sizes}`);

    const { metainfo, data } = testTorrent(300_000, 16_384, 7);
    const seeder = dhtClient("seeder", router, new Map([[metainfo.infoHash.hex, data]]));
    clients.push(seeder.client);
    await seeder.client.dht!.ready;
    const seeded = await seeder.client.add(metainfo, { directory: "/", mode: "read" });
    seeded.findPeers();
    // The announce is in once some node stores the seed.
    await waitFor("the announce", () => clients.some((c) => c.dht!.store.size > 0), 10_000);

    const leecher = dhtClient("leecher", router);
    clients.push(leecher.client);
    await leecher.client.dht!.ready;
    const wanted: ClientTorrent = leecher.client.addInfoHash(
      { infoHash: metainfo.infoHash, trackerTiers: [] },
      { directory: "/", mode: "write" },
    );
    wanted.findPeers();
    await wanted.whenMetadata();
    await Promise.race([
      wanted.session.whenComplete(),
      waitFor("the download", () => false, 20_000),
    ]);
    assert.deepEqual(leecher.stores.get(metainfo.infoHash.hex)!.bytes, data);
    const peer = [...wanted.session.peers.values()][0];
    assert.ok(peer && supportsDht(peer.reserved), "the seed's handshake has the DHT bit");
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("dht: a private torrent is never looked up nor announced", async () => {
  const clients: Client[] = [];
  try {
    const first = dhtClient("node0", []);
    clients.push(first.client);
    const router = [{ ip: "127.0.0.1", port: first.client.port }];
    const { metainfo, data } = testTorrent(50_000, 16_384, 8, { private: true });
    const seeder = dhtClient("seeder", router, new Map([[metainfo.infoHash.hex, data]]));
    clients.push(seeder.client);
    await seeder.client.dht!.ready;
    const before = seeder.client.dht!.rpc.counters.queriesSent;
    const torrent = await seeder.client.add(metainfo, { directory: "/", mode: "read" });
    assert.equal(torrent.sources.length, 0, "no DHT source for a private torrent");
    torrent.findPeers();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(seeder.client.dht!.rpc.counters.queriesSent, before);
    assert.equal(first.client.dht!.store.size, 0);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});
