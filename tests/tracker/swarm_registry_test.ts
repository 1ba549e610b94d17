import assert from "node:assert/strict";
import {
  type AnnounceRequest,
  bytesToBinaryString,
  compactPeer,
  SwarmRegistry,
  TrackerFullError,
} from "../../src/tracker/mod.ts";
import { compactAddress } from "../../src/transport/mod.ts";
import { id } from "./tracker_helpers.ts";

function compactOf(port: number): string {
  return bytesToBinaryString(compactPeer("127.0.0.1", port)!);
}

function request(peer: number, fields: Partial<AnnounceRequest> = {}): AnnounceRequest {
  return {
    infoHash: "\xaa".repeat(20),
    peerId: bytesToBinaryString(id(peer)),
    port: 7000 + peer,
    uploaded: 0,
    downloaded: 0,
    left: 100,
    event: "",
    compact: true,
    noPeerId: false,
    numwant: 50,
    ...fields,
  };
}

Deno.test("peers that miss two intervals expire; those that announce stay", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30, now: () => now });
  const announce = (peer: number) => registry.announce(request(peer), compactOf(7000 + peer));
  announce(1);
  announce(2);
  now = 100_000;
  announce(2);
  now = 121_000; // peer 1 silent for 121 s > 2 × 60 s; peer 2 for 21 s
  const events = registry.expire();
  assert.deepEqual(events.map((e) => [e.kind, e.peer.port]), [["expired", 7001]]);
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
  now = 300_000;
  registry.expire();
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 }, "empty swarms are dropped");
});

Deno.test("a leecher that finishes moves to the seeders without being counted twice", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  const compact = compactOf(7001);
  registry.announce(request(1), compact);
  registry.announce(request(1, { left: 0, event: "completed" }), compact);
  registry.announce(request(1, { left: 0 }), compact);
  assert.deepEqual(registry.scrape("\xaa".repeat(20)), {
    complete: 1,
    incomplete: 0,
    downloaded: 1,
  });
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
});

Deno.test("a stopped announce from an unknown peer leaves no swarm behind", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  const fresh = "\xbb".repeat(20);
  const { answer, events } = registry.announce(
    request(1, { infoHash: fresh, event: "stopped" }),
    compactOf(7001),
  );
  assert.deepEqual(answer, {
    interval: 60,
    minInterval: 30,
    complete: 0,
    incomplete: 0,
    peers: [],
  });
  assert.deepEqual(events, []);
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 }, "no swarm is created for it");

  // In a swarm that exists, an unknown peer's stop changes nothing and gets the swarm's counts.
  registry.announce(request(2, { infoHash: fresh, left: 0 }), compactOf(7002));
  const stopped = registry.announce(
    request(3, { infoHash: fresh, event: "stopped" }),
    compactOf(7003),
  );
  assert.deepEqual(stopped.answer.peers, []);
  assert.equal(stopped.answer.complete, 1);
  assert.deepEqual(stopped.events, []);
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
});

Deno.test("maxSwarms refuses a new swarm, not a new peer in a known one; a stopped announce is always taken", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30, maxSwarms: 2 });
  const hash = (fill: number) => String.fromCharCode(fill).repeat(20);
  registry.announce(request(1, { infoHash: hash(1) }), compactOf(7001));
  registry.announce(request(1, { infoHash: hash(2) }), compactOf(7001));
  assert.throws(
    () => registry.announce(request(1, { infoHash: hash(3) }), compactOf(7001)),
    (error: unknown) =>
      error instanceof TrackerFullError && error.resource === "swarms" && error.limit === 2,
  );
  registry.announce(request(2, { infoHash: hash(2) }), compactOf(7002));
  registry.announce(request(1, { infoHash: hash(3), event: "stopped" }), compactOf(7001));
  assert.deepEqual(registry.size, { swarms: 2, peers: 3 }, "the refusal left nothing behind");
});

Deno.test("maxPeers counts peers across swarms and refuses before creating a swarm", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30, maxPeers: 2 });
  registry.announce(request(1, { infoHash: "\x01".repeat(20) }), compactOf(7001));
  registry.announce(request(2, { infoHash: "\x02".repeat(20) }), compactOf(7002));
  assert.throws(
    () => registry.announce(request(3, { infoHash: "\x03".repeat(20) }), compactOf(7003)),
    (error: unknown) => error instanceof TrackerFullError && error.resource === "peers",
  );
  assert.deepEqual(registry.size, { swarms: 2, peers: 2 }, "no empty swarm for the refused peer");
  registry.announce(request(1, { infoHash: "\x01".repeat(20), left: 0 }), compactOf(7001));
});

Deno.test("at maxSwarms, a swarm kept only for its download count gives way to a new one", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30, maxSwarms: 2 });
  const hash = (fill: number) => String.fromCharCode(fill).repeat(20);
  // Swarm 1: a download completed, then its last peer left; swarm 2 has a peer.
  registry.announce(request(1, { infoHash: hash(1), left: 0, event: "completed" }), compactOf(1));
  registry.announce(request(1, { infoHash: hash(1), event: "stopped" }), compactOf(1));
  registry.announce(request(2, { infoHash: hash(2) }), compactOf(2));
  assert.equal(registry.scrape(hash(1)).downloaded, 1, "kept while there is room");
  registry.announce(request(3, { infoHash: hash(3) }), compactOf(3));
  assert.deepEqual(registry.scrape(hash(1)), { complete: 0, incomplete: 0, downloaded: 0 });
  assert.deepEqual(registry.size, { swarms: 2, peers: 2 });
  assert.throws(
    () => registry.announce(request(4, { infoHash: hash(4) }), compactOf(4)),
    TrackerFullError,
    "swarms with peers never give way",
  );
});

Deno.test("an answer of one address family holds only that family's peers; counts hold both", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  const v6 = (port: number) => bytesToBinaryString(compactPeer("::1", port)!);
  registry.announce(request(1, { left: 0 }), compactOf(7001));
  registry.announce(request(2), compactOf(7002));
  registry.announce(request(3, { left: 0 }), v6(7003));
  registry.announce(request(4), v6(7004));
  const ports = (
    family: "any" | "ipv4" | "ipv6",
    peer = 5,
    fields: Partial<AnnounceRequest> = {},
  ) =>
    registry.announce(request(peer, fields), compactOf(7000 + peer), family).answer.peers
      .map((p) => compactAddress(p.compact).port).sort();
  assert.deepEqual(ports("any"), [7001, 7002, 7003, 7004]);
  assert.deepEqual(ports("ipv4"), [7001, 7002], "peer 5 itself is never in the answer");
  assert.deepEqual(ports("ipv6"), [7003, 7004]);
  assert.deepEqual(
    ports("ipv6", 6, { left: 0, numwant: 1 }),
    [7004],
    "a seeder gets leechers first",
  );
  const { answer } = registry.announce(request(7), v6(7007), "ipv6");
  assert.deepEqual([answer.complete, answer.incomplete], [3, 4]);
  assert.deepEqual(registry.scrape("\xaa".repeat(20)), {
    complete: 3,
    incomplete: 4,
    downloaded: 0,
  });
});

Deno.test("a peer that announces from the other address family moves to that family's answers", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  registry.announce(request(1), compactOf(7001));
  registry.announce(request(1), bytesToBinaryString(compactPeer("::1", 7001)!));
  const peersFor = (family: "ipv4" | "ipv6") =>
    registry.announce(request(2), compactOf(7002), family).answer.peers.length;
  assert.equal(peersFor("ipv4"), 0);
  assert.equal(peersFor("ipv6"), 1);
  assert.deepEqual(registry.size, { swarms: 1, peers: 2 });
  registry.announce(request(1, { event: "stopped" }), compactOf(7001));
  assert.equal(peersFor("ipv6"), 0, "and leaves from there");
});

Deno.test("a random pick from a large swarm of both families stays within the answer's family", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  for (let peer = 1; peer <= 200; peer++) {
    const ip = peer % 2 === 0 ? "::1" : "127.0.0.1";
    registry.announce(
      request(peer, { left: peer % 3 === 0 ? 0 : 100 }),
      bytesToBinaryString(compactPeer(ip, 7000 + peer)!),
    );
  }
  for (const [family, length] of [["ipv4", 6], ["ipv6", 18]] as const) {
    const { peers } = registry.announce(request(2, { numwant: 30 }), compactOf(7002), family)
      .answer;
    assert.equal(peers.length, 30);
    assert.ok(peers.every((p) => p.compact.length === length));
    assert.equal(new Set(peers).size, 30, "no peer twice");
  }
});
