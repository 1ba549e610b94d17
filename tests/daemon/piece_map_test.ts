import assert from "node:assert/strict";
import { MAX_NAMED_PEERS, MISSING, ON_DISK, OTHER_PEERS, PieceMap } from "../../src/daemon/mod.ts";
import { Bitfield } from "../../src/wire/mod.ts";

function ownersOf(map: PieceMap): number[] {
  return [...Uint8Array.from(atob(map.toJSON().owners), (c) => c.charCodeAt(0))];
}

Deno.test("piece map: on disk at start, then each piece's first sender, peers in order of arrival", () => {
  const map = new PieceMap(6);
  const have = new Bitfield(6);
  have.set(1);
  map.matchVerified(have);
  map.record(4, ["10.0.0.2:6881"]);
  map.record(0, ["10.0.0.1:6881", "10.0.0.2:6881"]);
  map.record(5, ["10.0.0.2:6881"]);
  map.record(9, ["10.0.0.3:6881"]);
  map.record(2, []);
  assert.deepEqual(ownersOf(map), [3, ON_DISK, MISSING, MISSING, 2, 2]);
  assert.deepEqual(map.toJSON().peers, [
    { owner: 2, address: "10.0.0.2:6881", pieces: 2 },
    { owner: 3, address: "10.0.0.1:6881", pieces: 1 },
  ]);
  assert.equal(map.toJSON().onDisk, 1);
});

Deno.test("piece map: a recheck keeps senders of pieces still there and clears the rest", () => {
  const map = new PieceMap(3);
  map.record(0, ["a:1"]);
  map.record(1, ["b:1"]);
  const have = new Bitfield(3);
  have.set(0);
  have.set(2);
  map.matchVerified(have);
  assert.deepEqual(ownersOf(map), [2, MISSING, ON_DISK]);
});

Deno.test("piece map: past the named peers, latecomers share one 'other peers' entry", () => {
  const count = MAX_NAMED_PEERS + 10;
  const map = new PieceMap(count);
  for (let i = 0; i < count; i++) map.record(i, [`10.0.${i >> 8}.${i & 255}:1`]);
  const { peers } = map.toJSON();
  assert.equal(peers.length, MAX_NAMED_PEERS);
  assert.equal(peers.at(-1)!.address, OTHER_PEERS);
  assert.equal(peers.at(-1)!.pieces, 11);
  assert.equal(peers.reduce((sum, peer) => sum + peer.pieces, 0), count);
  assert.ok(ownersOf(map).every((owner) => owner <= 255));
});
