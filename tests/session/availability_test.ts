import assert from "node:assert/strict";
import { PieceAvailability } from "../../src/session/mod.ts";
import { Bitfield } from "../../src/wire/mod.ts";

function bits(size: number, pieces: number[]): Bitfield {
  const bitfield = new Bitfield(size);
  for (const piece of pieces) bitfield.set(piece);
  return bitfield;
}

Deno.test("availability counts each connected peer's pieces, its haves, and forgets a peer that leaves", () => {
  const availability = new PieceAvailability(4);
  const first = bits(4, [0, 1]);
  availability.setPeer(1, first);
  availability.setPeer(2, Bitfield.full(4));
  assert.deepEqual([0, 1, 2, 3].map((i) => availability.of(i)), [2, 2, 1, 1]);
  // A have counts once, however often it is said; the session sets the bit after.
  availability.gained(1, 3);
  first.set(3);
  availability.gained(1, 3);
  assert.equal(availability.of(3), 2);
  // A peer that was never counted changes nothing.
  availability.gained(9, 2);
  availability.removePeer(9);
  assert.equal(availability.of(2), 1);
  availability.removePeer(1);
  assert.deepEqual([0, 1, 2, 3].map((i) => availability.of(i)), [1, 1, 1, 1]);
});

Deno.test("a new bitfield from a peer replaces what it counted for", () => {
  const availability = new PieceAvailability(3);
  availability.setPeer(1, bits(3, [0, 1]));
  availability.setPeer(1, bits(3, [2]));
  assert.deepEqual([0, 1, 2].map((i) => availability.of(i)), [0, 0, 1]);
  availability.removePeer(1);
  assert.deepEqual([0, 1, 2].map((i) => availability.of(i)), [0, 0, 0]);
});
