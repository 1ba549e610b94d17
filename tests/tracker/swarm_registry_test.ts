import assert from "node:assert/strict";
import {
  type AnnounceRequest,
  type AnswerFamily,
  bytesToBinaryString,
  compactPeer,
  EXPIRY_TICK_SECONDS,
  MIN_PEER_LIFETIME,
  parseCompactPeers,
  peerLifetime,
  SwarmRegistry,
  TrackerFullError,
} from "../../src/tracker/mod.ts";
import { id } from "./tracker_helpers.ts";

const HASH = "\xaa".repeat(20);

function compactOf(port: number, ip = "127.0.0.1"): string {
  return bytesToBinaryString(compactPeer(ip, port)!);
}

function request(peer: number, fields: Partial<AnnounceRequest> = {}): AnnounceRequest {
  return {
    infoHash: HASH,
    peerId: bytesToBinaryString(id(peer)),
    port: 7000 + peer,
    uploaded: 0,
    downloaded: 0,
    left: 100,
    event: "",
    compact: true,
    numwant: 50,
    ...fields,
  };
}

/** Announces peer `peer` from 127.0.0.1:(7000 + peer) and returns the ports it was given. */
function ports(
  registry: SwarmRegistry,
  peer: number,
  fields: Partial<AnnounceRequest> = {},
): number[] {
  const { answer } = registry.announce(request(peer, fields), compactOf(7000 + peer));
  return parseCompactPeers(answer.peers, 6)!.map((p) => p.port);
}

Deno.test("a peer's lifetime is twice the interval, and never under libtorrent's floor twice", () => {
  assert.equal(MIN_PEER_LIFETIME, 600);
  for (
    const [interval, lifetime] of [[1, 600], [5, 600], [60, 600], [300, 600], [301, 602], [
      1800,
      3600,
    ]]
  ) {
    assert.equal(peerLifetime(interval), lifetime, `interval ${interval}`);
  }
});

Deno.test("with a short interval, peers announcing at libtorrent's 300 s stay; silent ones go after 600 s", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 5, minInterval: 5, now: () => now });
  const announce = (peer: number) => registry.announce(request(peer), compactOf(7000 + peer));
  announce(1);
  announce(2);
  for (now = 300_000; now <= 1_200_000; now += 300_000) {
    announce(2); // every 300 s, as libtorrent does whatever interval it is told
    const events = registry.expire();
    if (now < 900_000) assert.deepEqual(events, [], `nobody expires at ${now / 1000} s`);
  }
  // Peer 1 was silent from 0 s: still there at 600 s (a lifetime), gone at 900 s.
  assert.deepEqual(registry.scrape(HASH).incomplete, 1);
  assert.deepEqual(ports(registry, 2), [], "peer 2 alone");
});

Deno.test("a peer expires once silent for longer than its lifetime, within a tick", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60, now: () => now });
  registry.announce(request(1), compactOf(7001));
  now = 3600_000;
  assert.deepEqual(registry.expire(), [], "3600 s is within the lifetime");
  now = (3600 + EXPIRY_TICK_SECONDS) * 1000;
  const events = registry.expire();
  assert.deepEqual(events, [{
    kind: "expired",
    infoHash: HASH,
    peer: { compact: compactOf(7001), seeder: false, name: undefined },
  }]);
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 }, "the empty swarm is dropped");
});

Deno.test("expiry ticks wrap around (16 bits) without losing or keeping peers wrongly", () => {
  const wrap = 2 ** 16 * EXPIRY_TICK_SECONDS * 1000;
  let now = wrap - 100_000; // 100 s before the tick counter wraps
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60, now: () => now });
  registry.announce(request(1), compactOf(7001));
  now += 3000_000;
  assert.deepEqual(registry.expire(), [], "past the wrap, within the lifetime");
  assert.equal(registry.size.peers, 1);
  now += 700_000;
  assert.equal(registry.expire().length, 1, "past the lifetime");
});

Deno.test("expire with a budget goes on from where it stopped, a swarm at a time", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60, now: () => now });
  for (let swarm = 1; swarm <= 3; swarm++) {
    const infoHash = String.fromCharCode(swarm).repeat(20);
    registry.announce(request(1, { infoHash }), compactOf(7001));
    registry.announce(request(2, { infoHash }), compactOf(7002));
  }
  now = 4000_000;
  const swept = [1, 1, 1, 1].map(() => registry.expire(1).length);
  assert.deepEqual(swept, [2, 2, 2, 0], "one swarm of two peers a call, then nothing left");
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 });
});

Deno.test("a leecher that finishes moves to the seeders without being counted twice", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  const compact = compactOf(7001);
  registry.announce(request(1), compact);
  registry.announce(request(1, { left: 0, event: "completed" }), compact);
  registry.announce(request(1, { left: 0 }), compact);
  assert.deepEqual(registry.scrape(HASH), { complete: 1, incomplete: 0, downloaded: 1 });
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
  registry.announce(request(1, { left: 5 }), compact);
  assert.deepEqual(registry.scrape(HASH), { complete: 0, incomplete: 1, downloaded: 1 });
});

Deno.test("a peer is its address and port: a new peer id there is the same peer, a new port a new one", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  registry.announce(request(1, { left: 0 }), compactOf(7001));
  registry.announce(request(9, { left: 0 }), compactOf(7001)); // restarted with a new id
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
  registry.announce(request(1, { port: 9001 }), compactOf(9001));
  assert.deepEqual(ports(registry, 2).sort(), [7001, 9001]);
  assert.deepEqual(registry.size, { swarms: 1, peers: 3 });
});

Deno.test("a stopped announce removes only the peer at its own address and port", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  registry.announce(request(1, { left: 0 }), compactOf(7001));
  for (const elsewhere of [compactOf(7001, "10.9.8.7"), compactOf(7002)]) {
    const { events } = registry.announce(request(1, { event: "stopped" }), elsewhere);
    assert.deepEqual(events, []);
  }
  assert.deepEqual(registry.scrape(HASH).complete, 1);
  // The same address from IPv6 is another family, another list.
  registry.announce(request(1), compactOf(7001, "::ffff:7f00:1"));
  assert.deepEqual(registry.scrape(HASH), { complete: 1, incomplete: 1, downloaded: 0 });
  const { events } = registry.announce(request(1, { event: "stopped" }), compactOf(7001));
  assert.deepEqual(events.map((e) => e.kind), ["left"]);
  assert.deepEqual(registry.scrape(HASH), { complete: 0, incomplete: 1, downloaded: 0 });
});

Deno.test("a stopped announce from an unknown peer or for an unknown torrent leaves no swarm behind", () => {
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
    peers: new Uint8Array(0),
    peers6: new Uint8Array(0),
  });
  assert.deepEqual(events, []);
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 }, "no swarm is created for it");

  // In a swarm that exists, an unknown peer's stop changes nothing and gets the swarm's counts.
  registry.announce(request(2, { infoHash: fresh, left: 0 }), compactOf(7002));
  const stopped = registry.announce(
    request(3, { infoHash: fresh, event: "stopped" }),
    compactOf(7003),
  );
  assert.equal(stopped.answer.peers.length, 0);
  assert.equal(stopped.answer.complete, 1);
  assert.deepEqual(stopped.events, []);
  assert.deepEqual(registry.size, { swarms: 1, peers: 1 });

  // The last peer leaving a swarm without completed downloads deletes it.
  const left = registry.announce(
    request(2, { infoHash: fresh, event: "stopped" }),
    compactOf(7002),
  );
  assert.deepEqual(left.events.map((e) => [e.kind, e.peer.seeder]), [["left", true]]);
  assert.deepEqual(registry.size, { swarms: 0, peers: 0 });
});

Deno.test("seeders get leechers first, then seeders; leechers get everyone but themselves", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  ports(registry, 1, { left: 0 });
  ports(registry, 2, { left: 0 });
  assert.deepEqual(ports(registry, 3, { left: 0 }).sort(), [7001, 7002], "no leechers yet");
  ports(registry, 4);
  assert.deepEqual(ports(registry, 5).sort(), [7001, 7002, 7003, 7004]);
  assert.deepEqual(ports(registry, 1, { left: 0, numwant: 2 }).sort(), [7004, 7005]);
  const three = ports(registry, 1, { left: 0, numwant: 3 });
  assert.deepEqual(three.slice(0, 2).sort(), [7004, 7005], "both leechers come first");
  assert.ok([7002, 7003].includes(three[2]), "then a seeder that is not the asker");
});

Deno.test("numwant picks distinct random peers, never the asker, across both address families", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  for (let peer = 1; peer <= 250; peer++) {
    const compact = peer % 3 === 0 ? compactOf(7000 + peer, "2001:db8::7") : compactOf(7000 + peer);
    registry.announce(request(peer, { numwant: 0, left: peer % 2 }), compact);
  }
  const seen = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const { answer } = registry.announce(request(1, { numwant: 40 }), compactOf(7001));
    const v4 = parseCompactPeers(answer.peers, 6)!;
    const v6 = parseCompactPeers(answer.peers6, 18)!;
    assert.equal(v4.length + v6.length, 40);
    assert.ok(v6.every((p) => p.ip === "2001:db8::7" && (p.port - 7000) % 3 === 0));
    assert.ok(
      v4.every((p) => p.ip === "127.0.0.1" && (p.port - 7000) % 3 !== 0 && p.port !== 7001),
    );
    const picked = [...v4, ...v6].map((p) => p.port);
    assert.equal(new Set(picked).size, 40, "no duplicates");
    seen.add(picked.sort().join());
  }
  assert.ok(seen.size > 1, "subsets vary between answers");
  const { answer } = registry.announce(request(1, { numwant: 1000 }), compactOf(7001));
  assert.equal(answer.peers.length / 6 + answer.peers6.length / 18, 249, "everyone but the asker");
});

Deno.test("the compact lists agree with a plain model through random joins, moves, stops and expiries", () => {
  // A small xorshift generator, so that a failure repeats.
  let state = 0x2545f491;
  const random = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  let now = 0;
  const seconds = () => Math.floor(now / 1000);
  const tick = (s: number) => Math.floor(s / EXPIRY_TICK_SECONDS);
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60, now: () => now });
  const hashes = [1, 2, 3].map((n) => String.fromCharCode(n).repeat(20));
  /** info hash -> compact -> [seeder, expiry tick]. */
  const model = new Map(hashes.map((hash) => [hash, new Map<string, [boolean, number]>()]));
  // 150 endpoints: one in four IPv6, the rest 127.0.0.1 with a port of their own.
  const endpoint = (peer: number) =>
    peer % 4 === 0
      ? compactOf(1000 + peer, `2001:db8::${peer.toString(16)}`)
      : compactOf(1000 + peer);
  const texts = new Map<string, string>();
  const text = (compact: string) => {
    if (!texts.has(compact)) {
      const bytes = Uint8Array.from(compact, (c) => c.charCodeAt(0));
      const { ip, port } = parseCompactPeers(bytes, compact.length)![0];
      texts.set(compact, `${ip}:${port}`);
    }
    return texts.get(compact)!;
  };
  for (let step = 0; step < 4000; step++) {
    const hash = hashes[random(3)];
    const peer = 1 + random(150);
    const compact = endpoint(peer);
    const swarm = model.get(hash)!;
    const action = random(10);
    if (action === 0) {
      registry.announce(request(peer, { infoHash: hash, event: "stopped" }), compact);
      swarm.delete(compact);
    } else if (action === 1) {
      now += random(400) * 1000;
      registry.expire();
      for (const peers of model.values()) {
        for (const [other, [, expiry]] of peers) if (tick(seconds()) > expiry) peers.delete(other);
      }
    } else {
      const left = random(2);
      const { answer } = registry.announce(
        request(peer, { infoHash: hash, left, numwant: 1000 }),
        compact,
      );
      swarm.set(compact, [left === 0, tick(seconds() + 3600)]);
      const given = [
        ...parseCompactPeers(answer.peers, 6)!,
        ...parseCompactPeers(answer.peers6, 18)!,
      ].map((p) => `${p.ip}:${p.port}`).sort();
      const expected = [...swarm.keys()].filter((other) => other !== compact).map(text).sort();
      assert.deepEqual(given, expected, `step ${step}`);
    }
    const seeders = [...swarm.values()].filter(([seeder]) => seeder).length;
    const counts = registry.scrape(hash);
    assert.deepEqual([counts.complete, counts.incomplete], [seeders, swarm.size - seeders]);
  }
  const total = [...model.values()].reduce((sum, peers) => sum + peers.size, 0);
  assert.equal(registry.size.peers, total);
});

Deno.test("a swarm past 32,768 peers (a 32-bit index) finds, moves and drops its peers", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60, now: () => now });
  const compact = (n: number) => compactOf(1 + (n % 60_000), `10.0.${Math.floor(n / 60_000)}.1`);
  const total = 70_000;
  for (let n = 0; n < total; n++) {
    registry.announce(request(n % 250, { left: n % 2, numwant: 0 }), compact(n));
  }
  assert.deepEqual(registry.scrape(HASH), { complete: 35_000, incomplete: 35_000, downloaded: 0 });
  now = 1800_000;
  for (let n = 0; n < total; n += 2) {
    // Half stop, the other half's even ones become leechers and announce again.
    if (n % 4 === 0) registry.announce(request(0, { event: "stopped" }), compact(n));
    else registry.announce(request(0, { left: 1, numwant: 0 }), compact(n));
  }
  assert.deepEqual(registry.scrape(HASH), { complete: 0, incomplete: 52_500, downloaded: 0 });
  now = 3700_000; // past the lifetime of those that did not announce again
  assert.equal(registry.expire().length, 35_000);
  const { answer } = registry.announce(request(0, { numwant: 200 }), compact(2));
  assert.equal(answer.peers.length, 200 * 6);
  assert.deepEqual(registry.size, { swarms: 1, peers: 17_500 });
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

Deno.test("names given in announces are kept for the log, and only for the peers that gave them", () => {
  let now = 0;
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30, now: () => now });
  const joined = registry.announce(request(1, { name: "client2" }), compactOf(7001)).events;
  assert.deepEqual(joined.map((e) => [e.kind, e.peer.name]), [["joined", "client2"]]);
  registry.announce(request(2), compactOf(7002));
  now = 700_000;
  const expired = registry.expire().map((e) => [e.peer.compact, e.peer.name]);
  assert.deepEqual(expired.sort(), [[compactOf(7001), "client2"], [compactOf(7002), undefined]]);
});

Deno.test("an answer of one address family holds only that family's peers; counts hold both", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  const v6 = (port: number) => compactOf(port, "::1");
  registry.announce(request(1, { left: 0 }), compactOf(7001));
  registry.announce(request(2), compactOf(7002));
  registry.announce(request(3, { left: 0 }), v6(7003));
  registry.announce(request(4), v6(7004));
  const ports = (family: AnswerFamily, peer = 5, fields: Partial<AnnounceRequest> = {}) => {
    const { answer } = registry.announce(request(peer, fields), compactOf(7000 + peer), family);
    return [...parseCompactPeers(answer.peers, 6)!, ...parseCompactPeers(answer.peers6, 18)!]
      .map((p) => p.port).sort();
  };
  assert.deepEqual(ports("any"), [7001, 7002, 7003, 7004]);
  assert.deepEqual(ports("ipv4"), [7001, 7002], "peer 5 itself is never in the answer");
  assert.deepEqual(ports("ipv6"), [7003, 7004]);
  assert.deepEqual(ports("ipv6", 6, { left: 0, numwant: 1 }), [7004], "leechers first");
  const { answer } = registry.announce(request(7), v6(7007), "ipv6");
  assert.deepEqual([answer.complete, answer.incomplete], [3, 4]);
  assert.deepEqual(registry.scrape(HASH), { complete: 3, incomplete: 4, downloaded: 0 });
});

Deno.test("a random pick from a large swarm of both families stays within the answer's family", () => {
  const registry = new SwarmRegistry({ interval: 60, minInterval: 30 });
  for (let peer = 1; peer <= 200; peer++) {
    const ip = peer % 2 === 0 ? "::1" : "127.0.0.1";
    registry.announce(
      request(peer, { left: peer % 3 === 0 ? 0 : 100 }),
      compactOf(7000 + peer, ip),
    );
  }
  for (const family of ["ipv4", "ipv6"] as const) {
    const { answer } = registry.announce(request(2, { numwant: 30 }), compactOf(7002), family);
    const [mine, other] = family === "ipv4"
      ? [parseCompactPeers(answer.peers, 6)!, answer.peers6]
      : [parseCompactPeers(answer.peers6, 18)!, answer.peers];
    assert.equal(mine.length, 30);
    assert.equal(other.length, 0);
    assert.equal(new Set(mine.map((p) => p.port)).size, 30, "no peer twice");
  }
});

Deno.test("seederNames: names of seeders only, of both families, capped; roles count every swarm", () => {
  const registry = new SwarmRegistry({ interval: 1800, minInterval: 60 });
  ports(registry, 1, { left: 0, name: "alice" });
  ports(registry, 2, { left: 0 });
  ports(registry, 3, { left: 10, name: "leeching bob" });
  registry.announce(
    request(4, { left: 0, name: "carol <v6>" }),
    bytesToBinaryString(compactPeer("::1", 7004)!),
  );
  ports(registry, 5, { infoHash: "\xbb".repeat(20), left: 0, name: "elsewhere" });

  const { names, seeders } = registry.seederNames(HASH, 10);
  assert.deepEqual(names.toSorted(), ["alice", "carol <v6>"]);
  assert.equal(seeders, 3);
  assert.equal(registry.seederNames(HASH, 1).names.length, 1);
  assert.deepEqual(registry.seederNames("\xcc".repeat(20), 10), { names: [], seeders: 0 });

  // A leecher that completes is listed; a seeder that stops is not.
  ports(registry, 3, { left: 0, event: "completed" });
  ports(registry, 1, { left: 0, event: "stopped" });
  assert.deepEqual(registry.seederNames(HASH, 10).names.toSorted(), ["carol <v6>", "leeching bob"]);
  assert.deepEqual(registry.roles(), { seeders: 4, leechers: 0 });
  ports(registry, 6, { left: 5 });
  assert.deepEqual(registry.roles(), { seeders: 4, leechers: 1 });
});
