import assert from "node:assert/strict";
import type { BencodeDict } from "../../src/bencode/mod.ts";
import { parseCompactPeers } from "../../src/tracker/mod.ts";
import { announceQuery, getBencoded, id, text, withTracker } from "./tracker_helpers.ts";

Deno.test("announce answers compact peers, counts, intervals, and never the asker", async () => {
  await withTracker({}, async ({ base, logLines }) => {
    const first = await getBencoded(`${base}/announce?${announceQuery({ event: "started" })}`);
    assert.equal(first.get("interval"), 1800);
    assert.equal(first.get("min interval"), 60);
    assert.equal(first.get("incomplete"), 1);
    assert.equal(first.get("complete"), 0);
    assert.deepEqual(first.get("peers"), new Uint8Array(0));
    const second = await getBencoded(
      `${base}/announce?${
        announceQuery({ peer_id: id(2), port: 7000, left: 0, event: "started" })
      }`,
    );
    assert.deepEqual(parseCompactPeers(second.get("peers") as Uint8Array, 6), [
      { ip: "127.0.0.1", port: 6881 },
    ]);
    assert.equal(second.get("complete"), 1);
    assert.equal(second.get("incomplete"), 1);
    assert.ok(
      logLines.some((line) => /peer 127\.0\.0\.1:6881 joined \[aaaaaaaa\] as leecher/.test(line)),
    );
    assert.ok(
      logLines.some((line) => /127\.0\.0\.1:7000 joined \[aaaaaaaa\] as seeder/.test(line)),
    );
  });
});

Deno.test("announce with compact=0 lists dictionaries of ip and port (peer ids are not kept)", async () => {
  await withTracker({}, async ({ base }) => {
    await fetch(`${base}/announce?${announceQuery({ peer_id: id(7), port: 7007 })}`).then((r) =>
      r.body?.cancel()
    );
    const full = await getBencoded(`${base}/announce?${announceQuery({ compact: 0 })}`);
    const [peer] = full.get("peers") as BencodeDict[];
    assert.equal(text(peer.get("ip")), "127.0.0.1");
    assert.equal(peer.get("port"), 7007);
    assert.equal(peer.has("peer id"), false);
  });
});

Deno.test("seeders are handed leechers first, then seeders; leechers get everyone", async () => {
  await withTracker({}, async ({ base }) => {
    const announce = (peer: number, left: number) =>
      getBencoded(
        `${base}/announce?${announceQuery({ peer_id: id(peer), port: 7000 + peer, left })}`,
      );
    await announce(1, 0);
    await announce(2, 0);
    const seederView = await announce(3, 0);
    // No leechers: the seeders (a magnet client may announce left=0 before it has the metadata).
    const seeders = parseCompactPeers(seederView.get("peers") as Uint8Array, 6)!.map((p) => p.port);
    assert.deepEqual(seeders.sort(), [7001, 7002]);
    await announce(4, 500);
    const leecherView = await announce(5, 500);
    const ports = parseCompactPeers(leecherView.get("peers") as Uint8Array, 6)!.map((p) => p.port);
    assert.deepEqual(ports.sort(), [7001, 7002, 7003, 7004]);
    const seederAgain = await getBencoded(
      `${base}/announce?${announceQuery({ peer_id: id(1), port: 7001, left: 0, numwant: 2 })}`,
    );
    const seen = parseCompactPeers(seederAgain.get("peers") as Uint8Array, 6)!.map((p) => p.port);
    assert.deepEqual(seen.sort(), [7004, 7005], "leechers first");
  });
});

Deno.test("numwant picks a random subset, defaults to 50 and is capped at 200", async () => {
  await withTracker({}, async ({ base }) => {
    for (let peer = 1; peer <= 230; peer++) {
      const query = announceQuery({ peer_id: id(peer), port: 10000 + peer, numwant: 0 });
      await (await fetch(`${base}/announce?${query}`)).body?.cancel();
    }
    const count = async (numwant: number | null) => {
      const answer = await getBencoded(
        `${base}/announce?${announceQuery({ peer_id: id(1), port: 10001, numwant })}`,
      );
      const peers = parseCompactPeers(answer.get("peers") as Uint8Array, 6)!;
      assert.ok(peers.every((p) => p.port !== 10001), "never the asker");
      assert.equal(new Set(peers.map((p) => p.port)).size, peers.length, "no duplicates");
      return peers;
    };
    assert.equal((await count(5)).length, 5);
    assert.equal((await count(null)).length, 50);
    assert.equal((await count(100000)).length, 200);
    const picks = new Set<string>();
    for (let i = 0; i < 10; i++) picks.add((await count(5)).map((p) => p.port).join());
    assert.ok(picks.size > 1, "subsets vary between answers");
  });
});

Deno.test("stopped removes a peer at once; completed counts in scrape and makes a seeder", async () => {
  await withTracker({}, async ({ base, logLines }) => {
    const scrape = async () => {
      const answer = await getBencoded(`${base}/scrape?info_hash=${"%AA".repeat(20)}`);
      const files = answer.get("files") as BencodeDict;
      const counts = files.get("\xaa".repeat(20)) as BencodeDict;
      return [counts.get("complete"), counts.get("incomplete"), counts.get("downloaded")];
    };
    await getBencoded(`${base}/announce?${announceQuery({ event: "started" })}`);
    await getBencoded(
      `${base}/announce?${announceQuery({ peer_id: id(2), port: 6882, event: "started" })}`,
    );
    assert.deepEqual(await scrape(), [0, 2, 0]);
    await getBencoded(`${base}/announce?${announceQuery({ left: 0, event: "completed" })}`);
    assert.deepEqual(await scrape(), [1, 1, 1]);
    const stopped = await getBencoded(
      `${base}/announce?${announceQuery({ peer_id: id(2), port: 6882, event: "stopped" })}`,
    );
    assert.equal(stopped.get("interval"), 1800);
    assert.deepEqual(await scrape(), [1, 0, 1]);
    assert.ok(logLines.some((line) => /completed \[aaaaaaaa\]/.test(line)));
    assert.ok(logLines.some((line) => /left \[aaaaaaaa\]/.test(line)));
  });
});

Deno.test("scrape answers several torrents, zeros for unknown ones", async () => {
  await withTracker({}, async ({ base }) => {
    await getBencoded(`${base}/announce?${announceQuery({})}`);
    const answer = await getBencoded(
      `${base}/scrape?info_hash=${"%AA".repeat(20)}&info_hash=${"%BB".repeat(20)}`,
    );
    const files = answer.get("files") as BencodeDict;
    assert.deepEqual([...files.keys()], ["\xaa".repeat(20), "\xbb".repeat(20)]);
    assert.equal((files.get("\xbb".repeat(20)) as BencodeDict).get("incomplete"), 0);
  });
});

Deno.test("scrape answers each info_hash once, however often it is asked", async () => {
  await withTracker({}, async ({ base }) => {
    await getBencoded(`${base}/announce?${announceQuery({})}`);
    const aa = "%AA".repeat(20);
    const bb = "%BB".repeat(20);
    const answer = await getBencoded(
      `${base}/scrape?info_hash=${aa}&info_hash=${bb}&info_hash=${aa}&info_hash=${aa}`,
    );
    const files = answer.get("files") as BencodeDict;
    assert.deepEqual([...files.keys()], ["\xaa".repeat(20), "\xbb".repeat(20)]);
    assert.equal((files.get("\xaa".repeat(20)) as BencodeDict).get("incomplete"), 1);
  });
});

Deno.test("a leecher that does not know its size yet (left=2^63-1, Transmission on a magnet link) gets the seeders", async () => {
  await withTracker({}, async ({ base }) => {
    await getBencoded(`${base}/announce?${announceQuery({ peer_id: id(2), port: 7002, left: 0 })}`);
    const answer = await getBencoded(
      `${base}/announce?${announceQuery({ left: "9223372036854775807", event: "started" })}`,
    );
    assert.equal(answer.get("failure reason"), undefined);
    assert.deepEqual(parseCompactPeers(answer.get("peers") as Uint8Array, 6), [
      { ip: "127.0.0.1", port: 7002 },
    ]);
    assert.equal(answer.get("incomplete"), 1);
  });
});

const refusals: [string, string, RegExp][] = [
  ["missing info_hash", announceQuery({ info_hash: null }), /missing info_hash/],
  [
    "19-byte info_hash",
    announceQuery({ info_hash: new Uint8Array(19) }),
    /info_hash must be 20 bytes, got 19/,
  ],
  [
    "21-byte peer_id",
    announceQuery({ peer_id: new Uint8Array(21) }),
    /peer_id must be 20 bytes, got 21/,
  ],
  ["missing port", announceQuery({ port: null }), /missing port/],
  ["non-numeric port", announceQuery({ port: "http" }), /port must be a non-negative integer/],
  ["port 0", announceQuery({ port: 0 }), /port must be 1 to 65535/],
  ["port 70000", announceQuery({ port: 70000 }), /port must be 1 to 65535/],
  ["negative left", announceQuery({ left: -1 }), /left must be a non-negative integer/],
  [
    "left above 2^64-1",
    announceQuery({ left: "18446744073709551616" }),
    /left must be a non-negative integer/,
  ],
  ["missing uploaded", announceQuery({ uploaded: null }), /missing uploaded/],
  ["unknown event", announceQuery({ event: "exploded" }), /unknown event "exploded"/],
  [
    "repeated info_hash",
    announceQuery({}) + `&info_hash=${"%BB".repeat(20)}`,
    /given more than once/,
  ],
  ["broken percent-encoding", announceQuery({}) + "&key=%G1", /malformed percent-encoding/],
  [
    "huge numwant",
    announceQuery({ numwant: "99999999999999999999" }),
    /numwant must be a non-negative integer/,
  ],
];

for (const [name, query, reason] of refusals) {
  Deno.test(`announce refuses ${name} with a failure reason`, async () => {
    await withTracker({}, async ({ base }) => {
      const answer = await getBencoded(`${base}/announce?${query}`);
      assert.match(text(answer.get("failure reason")), reason);
    });
  });
}

Deno.test("scrape refuses a missing or malformed info_hash", async () => {
  await withTracker({}, async ({ base }) => {
    assert.match(text((await getBencoded(`${base}/scrape`)).get("failure reason")), /at least one/);
    const short = await getBencoded(`${base}/scrape?info_hash=abc`);
    assert.match(text(short.get("failure reason")), /20 bytes, got 3/);
  });
});

Deno.test("an IPv6 peer is answered in peers6 (BEP 7)", async () => {
  await withTracker({ hostname: "::1" }, async ({ announceUrl }) => {
    assert.match(announceUrl, /^http:\/\/\[::1\]:\d+\/announce$/);
    await getBencoded(`${announceUrl}?${announceQuery({ port: 7001 })}`);
    const answer = await getBencoded(
      `${announceUrl}?${announceQuery({ peer_id: id(2), port: 7002 })}`,
    );
    assert.deepEqual(answer.get("peers"), new Uint8Array(0));
    assert.deepEqual(parseCompactPeers(answer.get("peers6") as Uint8Array, 18), [{
      ip: "::1",
      port: 7001,
    }]);
  });
});

Deno.test("X-Forwarded-For and ip= count only with --trust-proxy", async () => {
  const headers = { "x-forwarded-for": "10.1.2.3, 127.0.0.1" };
  for (const trustProxy of [false, true]) {
    await withTracker({ trustProxy }, async ({ base }) => {
      await (await fetch(`${base}/announce?${announceQuery({})}`, { headers })).body?.cancel();
      const third = announceQuery({ peer_id: id(3), port: 6883, ip: "10.9.9.9" });
      await (await fetch(`${base}/announce?${third}`)).body?.cancel();
      const answer = await getBencoded(
        `${base}/announce?${announceQuery({ peer_id: id(2), port: 6882 })}`,
      );
      const ips = parseCompactPeers(answer.get("peers") as Uint8Array, 6)!.map((p) => p.ip).sort();
      assert.deepEqual(ips, trustProxy ? ["10.1.2.3", "10.9.9.9"] : ["127.0.0.1", "127.0.0.1"]);
    });
  }
});
