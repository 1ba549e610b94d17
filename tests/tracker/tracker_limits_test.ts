import assert from "node:assert/strict";
import { announceQuery, getBencoded, id, text, withTracker } from "./tracker_helpers.ts";

/** A fresh random info hash, as an attacker (or a crawler) would send. */
function randomHash(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20));
}

Deno.test("--max-swarms: announces for new torrents beyond the cap get a failure reason, logged once", async () => {
  await withTracker({ maxSwarms: 3 }, async ({ base, registry, logLines }) => {
    const hashes = Array.from({ length: 6 }, randomHash);
    const answers = [];
    for (const hash of hashes) {
      answers.push(
        await getBencoded(
          `${base}/announce?${announceQuery({ info_hash: hash, event: "started" })}`,
        ),
      );
    }
    assert.deepEqual(answers.map((a) => a.has("failure reason")), [
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    assert.match(text(answers[3].get("failure reason")), /tracker is full/);
    assert.deepEqual(registry.size, { swarms: 3, peers: 3 });
    assert.equal(logLines.filter((line) => /--max-swarms/.test(line)).length, 1, "logged once");

    // The swarms it has keep working: a second peer joins one.
    const joined = await getBencoded(
      `${base}/announce?${announceQuery({ info_hash: hashes[0], peer_id: id(2), port: 6882 })}`,
    );
    assert.equal(joined.get("incomplete"), 2);
    // A peer that leaves makes room for a new torrent.
    await getBencoded(
      `${base}/announce?${announceQuery({ info_hash: hashes[1], event: "stopped" })}`,
    );
    const admitted = await getBencoded(
      `${base}/announce?${announceQuery({ info_hash: hashes[4] })}`,
    );
    assert.equal(admitted.has("failure reason"), false);
  });
});

Deno.test("--max-peers: new peers beyond the cap get a failure reason; known peers still announce", async () => {
  await withTracker({ maxPeers: 2 }, async ({ base, registry, logLines }) => {
    const announce = (peer: number) =>
      getBencoded(`${base}/announce?${announceQuery({ peer_id: id(peer), port: 7000 + peer })}`);
    assert.equal((await announce(1)).has("failure reason"), false);
    assert.equal((await announce(2)).has("failure reason"), false);
    for (const peer of [3, 4, 5]) {
      assert.match(text((await announce(peer)).get("failure reason")), /tracker is full/);
    }
    const again = await announce(1);
    assert.equal(again.get("incomplete"), 2, "a peer it knows is answered as before");
    assert.deepEqual(registry.size, { swarms: 1, peers: 2 });
    assert.equal(logLines.filter((line) => /--max-peers/.test(line)).length, 1, "logged once");
  });
});
