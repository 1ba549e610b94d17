import assert from "node:assert/strict";
import { type BlockRequest, PiecePicker, RAREST_TIES } from "../../src/session/mod.ts";
import { Bitfield, BLOCK_SIZE } from "../../src/wire/mod.ts";

const full = Bitfield.full;

function only(size: number, pieces: number[]): Bitfield {
  const bits = new Bitfield(size);
  for (const piece of pieces) bits.set(piece);
  return bits;
}

/** Drives a picker to completion: every peer answers every request at once, in order. */
function simulate(
  picker: PiecePicker,
  haves: Map<number, Bitfield>,
  pending: [number, BlockRequest][] = [],
): Map<number, number[]> {
  const piecesBy = new Map<number, number[]>();
  const ask = (id: number) => haves.get(id);
  for (const id of haves.keys()) {
    for (const request of picker.requestsFor(id, ask).requests) pending.push([id, request]);
  }
  let rounds = 0;
  while (pending.length > 0 && rounds++ < 1_000_000) {
    const [id, request] = pending.shift()!;
    const outcome = picker.received(id, request.index, request.begin, request.length);
    if (outcome.pieceComplete) {
      piecesBy.set(id, [...(piecesBy.get(id) ?? []), request.index]);
      // The session owns the bitfield: it sets the bit, then tells the picker.
      picker.verified.set(request.index);
      picker.pieceVerified(request.index);
    }
    for (const request of picker.requestsFor(id, ask).requests) pending.push([id, request]);
  }
  return piecesBy;
}

/** Random numbers that keep the first of equally rare pieces: dealing in piece order. */
const inOrder = () => 0;

/** A contributor record named after the peer's id. */
const peer = (id: number) => ({ identity: `peer ${id}`, address: `10.0.0.${id}:6881` });

const geometry = (pieceCount: number, pieceLength = 2 * BLOCK_SIZE) => ({
  pieceCount,
  pieceLength,
  totalLength: pieceCount * pieceLength - 1000,
});

Deno.test("one peer gets every piece of a torrent with small pieces", () => {
  const picker = new PiecePicker(geometry(500), new Bitfield(500));
  picker.addPeer(1, peer(1));
  const by = simulate(picker, new Map([[1, full(500)]]));
  assert.equal(by.get(1)!.length, 500);
  assert.equal(picker.verified.count, 500);
});

Deno.test("pieces are dealt round-robin among peers that have them", () => {
  const picker = new PiecePicker(
    geometry(9, 4 * BLOCK_SIZE),
    new Bitfield(9),
    4,
    0,
    undefined,
    inOrder,
  );
  for (const id of [1, 2, 3]) picker.addPeer(id, peer(id));
  const haves = new Map([[1, full(9)], [2, full(9)], [3, full(9)]]);
  const first = [1, 2, 3].map((id) => picker.requestsFor(id, (p) => haves.get(p)).requests);
  // Each peer's first request goes to a different piece, dealt in turn: 0, 1, 2, then 3, 4, 5...
  assert.deepEqual(first.map((requests) => requests[0].index), [0, 1, 2]);
  const initial = first.flatMap((requests, i) =>
    requests.map((request): [number, BlockRequest] => [i + 1, request])
  );
  const by = simulate(picker, haves, initial);
  for (const id of [1, 2, 3]) assert.ok((by.get(id)?.length ?? 0) >= 2, `peer ${id} contributes`);
  assert.equal(picker.verified.count, 9);
});

Deno.test("a piece count that is not a multiple of the peers, and pieces only some peers have", () => {
  const picker = new PiecePicker(geometry(7), new Bitfield(7));
  picker.addPeer(1, peer(1));
  picker.addPeer(2, peer(2));
  const haves = new Map([[1, only(7, [0, 1, 2, 3])], [2, only(7, [3, 4, 5, 6])]]);
  const by = simulate(picker, haves);
  assert.ok(by.get(1)!.every((i) => i <= 3));
  assert.ok(by.get(2)!.every((i) => i >= 3));
  assert.equal(picker.verified.count, 7);
});

Deno.test("a peer that leaves gives its pieces back and the others finish them", () => {
  const picker = new PiecePicker(geometry(20), new Bitfield(20), 8);
  picker.addPeer(1, peer(1));
  picker.addPeer(2, peer(2));
  const haves = new Map([[1, full(20)], [2, full(20)]]);
  const asked = picker.requestsFor(1, (p) => haves.get(p)).requests;
  assert.ok(asked.length > 0);
  picker.removePeer(1);
  haves.delete(1);
  const by = simulate(picker, haves);
  assert.equal(by.get(2)!.length, 20, "peer 2 did all the work, including peer 1's pieces");
});

Deno.test("a choking peer's requests are released and re-dealt", () => {
  const picker = new PiecePicker(geometry(4), new Bitfield(4), 4);
  picker.addPeer(1, peer(1));
  picker.addPeer(2, peer(2));
  const haves = new Map([[1, full(4)], [2, full(4)]]);
  const ofOne = picker.requestsFor(1, (p) => haves.get(p)).requests;
  picker.release(1);
  assert.equal(picker.outstanding(1), 0);
  haves.delete(1);
  const by = simulate(picker, haves);
  assert.ok(by.get(2)!.includes(ofOne[0].index), "peer 2 fetched peer 1's piece");
  assert.equal(picker.verified.count, 4);
});

Deno.test("endgame asks a second peer for outstanding blocks and cancels the loser", () => {
  const picker = new PiecePicker(geometry(1), new Bitfield(1), 8);
  picker.addPeer(1, peer(1));
  picker.addPeer(2, peer(2));
  const haves = new Map([[1, full(1)], [2, full(1)]]);
  const ofOne = picker.requestsFor(1, (p) => haves.get(p)).requests;
  assert.equal(ofOne.length, 2);
  assert.equal(picker.endgame, true);
  const ofTwo = picker.requestsFor(2, (p) => haves.get(p)).requests;
  assert.deepEqual(ofTwo, ofOne, "the same blocks, asked of peer 2 too");
  const first = picker.received(2, ofTwo[0].index, ofTwo[0].begin, ofTwo[0].length);
  assert.deepEqual(first.cancelAt, [1]);
  assert.equal(picker.received(1, ofOne[0].index, ofOne[0].begin, ofOne[0].length).accepted, false);
});

Deno.test("a failed piece goes back to the pool and names the peers that sent it", () => {
  const picker = new PiecePicker(geometry(1), new Bitfield(1), 8);
  picker.addPeer(7, peer(7));
  const haves = new Map([[7, full(1)]]);
  for (const r of picker.requestsFor(7, (p) => haves.get(p)).requests) {
    picker.received(7, r.index, r.begin, r.length);
  }
  assert.deepEqual(picker.pieceFailed(0), [peer(7), peer(7)], "the sender of each block");
  assert.equal(picker.verified.has(0), false);
  assert.equal(picker.requestsFor(7, (p) => haves.get(p)).requests.length, 2, "asked again");
});

Deno.test("blocks of the wrong size or offset are not accepted", () => {
  const picker = new PiecePicker(geometry(2), new Bitfield(2), 8);
  picker.addPeer(1, peer(1));
  picker.requestsFor(1, () => full(2));
  assert.equal(picker.received(1, 0, 100, BLOCK_SIZE).accepted, false);
  assert.equal(picker.received(1, 0, 0, BLOCK_SIZE - 1).accepted, false);
  assert.equal(picker.received(1, 0, 0, BLOCK_SIZE).accepted, true);
});

Deno.test("in endgame an idle peer takes over a busy peer's blocks instead of doubling the tail", () => {
  const pieceCount = 123;
  const have = new Bitfield(pieceCount);
  for (let i = 0; i < 108; i++) have.set(i);
  const picker = new PiecePicker(geometry(pieceCount, 4 * BLOCK_SIZE), have);
  picker.addPeer(1, peer(1));
  const all = full(pieceCount);
  // Peer 1 is alone at first and is dealt the whole tail; peer 2 connects later, idle.
  const first = picker.requestsFor(1, () => all).requests;
  picker.addPeer(2, peer(2));
  const queues = new Map<number, BlockRequest[]>([[1, first], [2, []]]);
  let duplicates = 0;
  let moved = 0;
  const ask = (id: number) => {
    const { requests, cancels } = picker.requestsFor(id, () => all);
    for (const { peer, request } of cancels) {
      const queue = queues.get(peer)!;
      const at = queue.findIndex((r) => r.index === request.index && r.begin === request.begin);
      if (at >= 0) queue.splice(at, 1);
      moved++;
    }
    queues.get(id)!.push(...requests);
  };
  ask(2);
  while ([...queues.values()].some((queue) => queue.length > 0)) {
    for (const [id, queue] of queues) {
      const request = queue.shift();
      if (!request) continue;
      const outcome = picker.received(id, request.index, request.begin, request.length);
      if (!outcome.accepted) duplicates++;
      if (outcome.pieceComplete) {
        have.set(request.index);
        picker.pieceVerified(request.index);
      }
      ask(id);
    }
  }
  assert.equal(picker.verified.count, pieceCount);
  assert.ok(moved >= 20, `${moved} blocks moved to the idle peer`);
  assert.ok(duplicates <= 8, `${duplicates} blocks fetched twice`);
});

Deno.test("dealing starts at the given piece and wraps around", () => {
  const picker = new PiecePicker(geometry(10), new Bitfield(10), 2, 7, undefined, inOrder);
  picker.addPeer(1, peer(1));
  const by = simulate(picker, new Map([[1, full(10)]]));
  assert.deepEqual(by.get(1), [7, 8, 9, 0, 1, 2, 3, 4, 5, 6]);
});

Deno.test("the first peer to unchoke gets only its fair share of a small torrent", () => {
  const picker = new PiecePicker(geometry(38), new Bitfield(38));
  for (const id of [1, 2, 3]) picker.addPeer(id, peer(id));
  // Only peer 1 has unchoked us so far: it may not take all 38 pieces.
  const first = picker.requestsFor(1, (p) => (p === 1 ? full(38) : undefined)).requests;
  const pieces = new Set(first.map((r) => r.index));
  assert.equal(pieces.size, 13, "ceil(38 / 3) pieces");
  const second = picker.requestsFor(2, (p) => (p === 3 ? undefined : full(38))).requests;
  assert.ok(second.length > 0 && second.every((r) => !pieces.has(r.index)));
});

Deno.test("a peer's pipeline keeps to the request queue it says it has (reqq)", () => {
  const picker = new PiecePicker(geometry(50), new Bitfield(50), 128);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  picker.limitPipeline(2, 5);
  // A limit above our own pipeline changes nothing.
  picker.limitPipeline(1, 10_000);
  const haves = new Map([[1, full(50)], [2, full(50)]]);
  const ask = (id: number) => haves.get(id);
  const pending: [number, BlockRequest][] = [];
  const requestsFor = (id: number) => {
    const { requests } = picker.requestsFor(id, ask);
    for (const request of requests) pending.push([id, request]);
    return requests.length;
  };
  assert.equal(requestsFor(2), 5);
  assert.equal(requestsFor(2), 0, "full until answered");
  assert.ok(requestsFor(1) > 5, "others keep their whole pipeline");
  assert.ok(picker.outstanding(1) <= 128);
  // The download completes with the limit in place.
  const by = simulate(picker, haves, pending);
  assert.equal(picker.verified.count, 50);
  assert.ok((by.get(2) ?? []).length > 0);
});

Deno.test("a rejected block goes back with its piece: another peer is dealt it, the refuser only after refusals are forgotten", () => {
  const picker = new PiecePicker(geometry(4), new Bitfield(4), 8);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  const haves = new Map([[1, full(4)]]);
  const ask = (id: number) => haves.get(id);
  // Peer 2 chokes us at first: peer 1 is dealt two pieces.
  const ofOne = picker.requestsFor(1, ask).requests;
  haves.set(2, full(4));
  const [refused, sibling] = ofOne.filter((r) => r.index === ofOne[0].index);
  const { index, begin, length } = refused;
  assert.equal(picker.rejected(1, index, begin, length), "given back");
  assert.equal(picker.outstanding(1), ofOne.length - 2, "its other block of that piece went too");
  // The sibling may still come (it was asked): that costs nothing, nor does its reject.
  assert.equal(picker.rejected(1, sibling.index, sibling.begin, sibling.length), "excused");
  assert.equal(picker.rejected(1, index, begin, length), "unasked", "no excuse left");
  const ofTwo = picker.requestsFor(2, ask).requests;
  assert.ok(ofTwo.some((r) => r.index === index && r.begin === begin), "peer 2 is asked for it");
  // Peer 2 rejects it too: nobody else has it, so it waits for the refusals to be forgotten.
  assert.equal(picker.rejected(2, index, begin, length), "given back");
  const again = () => [1, 2].flatMap((id) => picker.requestsFor(id, ask).requests);
  assert.ok(again().every((r) => r.index !== index));
  picker.forgetRefusals();
  assert.ok(again().some((r) => r.index === index && r.begin === begin));
});

Deno.test("a reject of a block of the wrong size or never asked is unasked", () => {
  const picker = new PiecePicker(geometry(2), new Bitfield(2), 8);
  picker.addPeer(1, peer(1));
  const [first] = picker.requestsFor(1, () => full(2)).requests;
  assert.equal(picker.rejected(1, first.index, first.begin, first.length - 1), "unasked");
  assert.equal(picker.rejected(1, first.index, first.begin + 1, first.length), "unasked");
  assert.equal(picker.rejected(7, first.index, first.begin, first.length), "unasked");
  assert.equal(picker.outstanding(1), 4, "nothing given back");
});

Deno.test("a release keeps the pieces it is told to keep, with their requests", () => {
  const picker = new PiecePicker(geometry(4), new Bitfield(4), 8);
  picker.addPeer(1, peer(1));
  picker.addPeer(2, peer(2));
  const haves = new Map([[1, full(4)], [2, full(4)]]);
  const ofOne = picker.requestsFor(1, (p) => haves.get(p)).requests;
  const kept = ofOne[0].index;
  picker.release(1, (index) => index === kept);
  assert.equal(picker.outstanding(1), ofOne.filter((r) => r.index === kept).length);
  const ofTwo = picker.requestsFor(2, (p) => (p === 2 ? full(4) : undefined)).requests;
  assert.ok(ofTwo.length > 0 && ofTwo.every((r) => r.index !== kept), "the kept piece stays");
  // Its blocks are still asked of peer 1: they are accepted when they come.
  const block = ofOne.find((r) => r.index === kept)!;
  assert.equal(picker.received(1, block.index, block.begin, block.length).accepted, true);
});

Deno.test("unwanted pieces are never dealt; a wider wanted set is dealt after wantedChanged", () => {
  const wanted = only(10, [3, 4, 5]);
  const picker = new PiecePicker(geometry(10), new Bitfield(10), 16, 0, wanted, inOrder);
  picker.addPeer(1, peer(1));
  const haves = new Map([[1, full(10)]]);
  assert.deepEqual(simulate(picker, haves).get(1), [3, 4, 5]);
  assert.equal(picker.endgame, true, "nothing wanted is left to deal");
  wanted.set(0);
  wanted.set(9);
  picker.wantedChanged();
  assert.deepEqual(simulate(picker, haves).get(1), [0, 9]);
});

Deno.test("a reader's jump takes back the requests queued behind other pieces, keeping the next ones", () => {
  const picker = new PiecePicker(geometry(40), new Bitfield(40), 16, 0, undefined, inOrder);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  const haves = new Map([[1, full(40)], [2, full(40)]]);
  const ask = (id: number) => haves.get(id);
  const before = [1, 2].flatMap((id) => picker.requestsFor(id, ask).requests.map((r) => r.index));
  assert.ok(!before.includes(30), "sequential dealing is far from piece 30");
  // A small step ahead is no jump: nothing is taken back.
  assert.deepEqual(picker.focus(2), []);
  const cancels = picker.focus(30);
  assert.ok(cancels.length > 0);
  assert.ok(cancels.every(({ request }) => request.index < 30 || request.index >= 34));
  // Refilled, the first blocks each peer is asked for are of piece 30 and those after it.
  const first = picker.requestsFor(1, ask).requests[0];
  const second = picker.requestsFor(2, ask).requests[0];
  assert.deepEqual([first.index, second.index].sort(), [30, 31]);
});

Deno.test("after a jump a Fast peer is not asked again for a block it was told to cancel until it answers", () => {
  const picker = new PiecePicker(geometry(40), new Bitfield(40), 16, 0, undefined, inOrder);
  picker.addPeer(1, peer(1));
  const haves = new Map([[1, full(40)]]);
  const ask = (id: number) => haves.get(id);
  picker.requestsFor(1, ask);
  const cancels = picker.focus(20, () => true);
  const cancelled = cancels.map(({ request }) => `${request.index}/${request.begin}`);
  // Dealing wraps from 20 to the cancelled pieces: none of their blocks is asked again yet.
  for (let round = 0; round < 3; round++) {
    for (const request of picker.requestsFor(1, ask).requests) {
      assert.ok(
        !cancelled.includes(`${request.index}/${request.begin}`),
        "asked before its reject",
      );
      picker.received(1, request.index, request.begin, request.length);
    }
  }
  // Its reject of the old request is excused, and frees the block to be asked again.
  const [first] = cancels;
  const { index, begin, length } = first.request;
  assert.equal(picker.rejected(1, index, begin, length), "excused");
  const again = picker.requestsFor(1, ask).requests;
  assert.ok(again.some((r) => r.index === index && r.begin === begin), "asked again");
});

Deno.test("a peer is dealt the pieces fewest connected peers have first", () => {
  const picker = new PiecePicker(geometry(10), new Bitfield(10), 4, 0, undefined, inOrder);
  for (const id of [1, 2, 3]) picker.addPeer(id, peer(id));
  // Peers 2 and 3 have pieces 0 to 5; only peer 1 (a seed) has 6 to 9.
  picker.availability.setPeer(1, full(10));
  picker.availability.setPeer(2, only(10, [0, 1, 2, 3, 4, 5]));
  picker.availability.setPeer(3, only(10, [0, 1, 2, 3, 4, 5]));
  const dealt = picker.requestsFor(1, (id) => (id === 1 ? full(10) : undefined)).requests;
  assert.deepEqual([...new Set(dealt.map((r) => r.index))], [6, 7]);
});

Deno.test("of equally rare pieces one is dealt at random, so a crowd asks its seed for different ones", () => {
  const firstDealt = (random: () => number) => {
    const picker = new PiecePicker(geometry(10), new Bitfield(10), 2, 0, undefined, random);
    picker.addPeer(1, peer(1));
    picker.availability.setPeer(1, full(10));
    return picker.requestsFor(1, () => full(10)).requests[0].index;
  };
  assert.equal(firstDealt(() => 0), 0);
  // The last of the first RAREST_TIES equally rare ones: no deal compares more.
  assert.equal(firstDealt(() => 0.999), RAREST_TIES - 1);
  const dealt = new Set(Array.from({ length: 50 }, () => firstDealt(Math.random)));
  assert.ok(dealt.size >= 5, `50 pickers dealt ${[...dealt]} first`);
});

Deno.test("a piece already partly received is dealt before rarer ones", () => {
  const picker = new PiecePicker(geometry(10), new Bitfield(10), 1, 0, undefined, inOrder);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  picker.availability.setPeer(1, full(10));
  picker.availability.setPeer(2, full(10));
  const haves = (id: number) => (id === 1 || id === 2 ? full(10) : undefined);
  // Peer 1 sends one block of its first piece and leaves: that piece goes back half done.
  const [asked] = picker.requestsFor(1, (id) => (id === 1 ? full(10) : undefined)).requests;
  picker.received(1, asked.index, asked.begin, asked.length);
  picker.removePeer(1);
  // Everything else is rarer now (peer 2 alone has it), and yet the half-done piece comes first.
  assert.equal(picker.availability.of(5), 1);
  assert.equal(picker.requestsFor(2, haves).requests[0].index, asked.index);
});

Deno.test("after a reader focuses the picker, pieces are dealt in order even where others are rarer", () => {
  const picker = new PiecePicker(geometry(10), new Bitfield(10), 4, 0);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  picker.availability.setPeer(1, full(10));
  picker.availability.setPeer(2, only(10, [3, 4]));
  picker.focus(3);
  const dealt = picker.requestsFor(1, (id) => (id === 1 ? full(10) : undefined)).requests;
  assert.deepEqual([...new Set(dealt.map((r) => r.index))], [3, 4]);
});

Deno.test("a peer whose pipeline is short holds only the pieces it covers: the rest go to others", () => {
  // Pieces of two blocks: a pipeline of four covers two pieces, and one more is dealt ahead.
  const picker = new PiecePicker(geometry(20), new Bitfield(20), 128, 0, undefined, inOrder);
  for (const id of [1, 2]) picker.addPeer(id, peer(id));
  picker.limitPipeline(1, 4);
  const slow = picker.requestsFor(1, () => full(20)).requests;
  assert.equal(slow.length, 4);
  assert.equal(new Set(slow.map((r) => r.index)).size, 2);
  // The fast peer answers at once; the slow one never does. The fast one gets every piece
  // but the three dealt to the slow one until the endgame, then those too.
  const fast = picker.requestsFor(2, () => full(20)).requests;
  const pending = fast.map((request): [number, BlockRequest] => [2, request]);
  const by = simulate(picker, new Map([[2, full(20)]]), pending);
  const order = by.get(2)!;
  assert.equal(order.length, 20);
  const slowPieces = new Set(slow.map((r) => r.index));
  assert.ok(order.slice(0, 17).every((index) => !slowPieces.has(index)));
  assert.equal(picker.verified.count, 20);
});
