import assert from "node:assert/strict";
import { Client, trackerSource } from "../../src/client/mod.ts";
import { encode } from "../../src/bencode/mod.ts";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { createMetainfo } from "../../src/metainfo/mod.ts";
import { memoryStores, settle } from "../engine/engine_helpers.ts";
import { MemoryNetwork } from "../engine/memory_network.ts";

/** A tracker that answers every announce with `answer` and counts them. */
function fakeTracker(answer: Record<string, number | Uint8Array>) {
  let announces = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    announces++;
    return new Response(encode(answer).slice());
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/announce`,
    get announces() {
      return announces;
    },
    stop: () => server.shutdown(),
  };
}

for (const interval of [2_147_484, 0, -5]) {
  Deno.test(`a tracker's interval of ${interval} s is held to 5 s to a day: no announce storm`, async () => {
    const tracker = fakeTracker({ interval, "min interval": interval, peers: new Uint8Array(0) });
    const metainfo = parseMetainfo(createMetainfo({
      name: "x.bin",
      layout: { kind: "single", length: 1 },
      pieceLength: 16384,
      pieceHashes: new Uint8Array(20),
      trackers: [tracker.url],
    }));
    const client = Client.listen({
      clientName: "p2p test",
      transport: new MemoryNetwork().host("10.0.0.1"),
      datagrams: false,
      peerSources: [trackerSource()],
      openStore: memoryStores().open,
    });
    try {
      const torrent = await client.add(metainfo, { directory: "/", mode: "write" });
      torrent.findPeers();
      await settle(() => tracker.announces >= 1);
      // Two seconds in which an overflowing timer would have announced hundreds of times.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(tracker.announces, 1);
    } finally {
      await client.close();
      await tracker.stop();
    }
  });
}
