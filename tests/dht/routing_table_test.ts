import assert from "node:assert/strict";
import {
  BAD_AFTER_FAILURES,
  commonPrefixBits,
  compareDistance,
  GOOD_FOR_MS,
  idHex,
  idInRange,
  K,
  REFRESH_AFTER_MS,
  RoutingTable,
} from "../../src/dht/mod.ts";
import { ManualClock } from "../engine/manual_clock.ts";
import { seededRandom } from "./simulation.ts";

const ours = new Uint8Array(20); // all zero: a node's bucket is the index of its first 1 bit

/** An id whose first 1 bit is bit `bit` (so it shares `bit` bits with ours), then `tail`. */
function idAt(bit: number, tail = 0): Uint8Array {
  const id = new Uint8Array(20);
  id[bit >> 3] = 0x80 >> (bit & 7);
  id[19] |= tail;
  id[18] = tail >> 8;
  return id;
}

let nextIp = 1;
function endpoint() {
  const n = nextIp++;
  return { ip: `10.0.${n >> 8}.${n & 255}`, port: 6881 };
}

Deno.test("routing table: the bucket holding our id splits; far buckets do not", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  // Eight nodes far away (bit 0 set) fill the only bucket.
  for (let i = 0; i < K; i++) {
    assert.equal(table.heard({ id: idAt(0, i + 1), endpoint: endpoint() }, "reply").kind, "added");
  }
  assert.equal(table.bucketCount, 1);
  // A ninth node nearer us splits it: the far ones stay in bucket 0, it goes to bucket 1.
  assert.equal(table.heard({ id: idAt(3), endpoint: endpoint() }, "reply").kind, "added");
  assert.equal(table.bucketCount, 2);
  assert.deepEqual(table.describe().map((b) => b.nodes), [K, 1]);
  // A ninth far node finds bucket 0 full of good nodes and cannot split it: cached.
  const outcome = table.heard({ id: idAt(0, 100), endpoint: endpoint() }, "reply");
  assert.equal(outcome.kind, "cached");
  assert.equal(outcome.kind === "cached" && outcome.ping, undefined, "good nodes are not pinged");
  assert.deepEqual(table.describe()[0], { nodes: K, replacements: 1 });
  assert.equal(table.size, K + 1);
});

Deno.test("routing table: many nodes near us split down to where they differ", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  for (let bit = 0; bit < 40; bit++) {
    for (let i = 0; i < 3; i++) {
      table.heard({ id: idAt(bit, i + 1), endpoint: endpoint() }, "reply");
    }
  }
  // Every node fits: three per bit, and buckets split until each has room.
  assert.equal(table.size, 120);
  for (const node of table.nodes()) assert.ok(table.get(node.id));
  assert.ok(table.bucketCount >= 40 / 3);
});

Deno.test("routing table: liveness goes good, questionable, bad", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  const a = { id: idAt(2), endpoint: endpoint() };
  table.heard(a, "reply");
  const node = table.get(a.id)!;
  assert.equal(table.status(node), "good");
  clock.advance(GOOD_FOR_MS);
  assert.equal(table.status(node), "questionable");
  // A node that answered once and queries us lately is good again (BEP 5).
  table.heard(a, "query");
  assert.equal(table.status(node), "good");
  clock.advance(GOOD_FOR_MS);
  for (let i = 0; i < BAD_AFTER_FAILURES; i++) table.failed(a.id);
  assert.equal(table.status(node), "bad");
  assert.deepEqual(table.closest(a.id, K), [], "bad nodes are not handed out");
  // A node that only ever queried us stays questionable until it answers.
  const b = { id: idAt(3), endpoint: endpoint() };
  table.heard(b, "query");
  assert.equal(table.status(table.get(b.id)!), "questionable");
});

Deno.test("routing table: a full bucket pings its stalest questionable node, and a failure lets the newcomer in", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  const far = Array.from({ length: K }, (_, i) => ({ id: idAt(0, i + 1), endpoint: endpoint() }));
  // Split first so bucket 0 cannot split again.
  table.heard({ id: idAt(5), endpoint: endpoint() }, "reply");
  for (const node of far) {
    table.heard(node, "reply");
    clock.advance(1000);
  }
  clock.advance(GOOD_FOR_MS);
  const newcomer = { id: idAt(0, 200), endpoint: endpoint() };
  const outcome = table.heard(newcomer, "reply");
  assert.equal(outcome.kind, "cached");
  assert.equal(
    outcome.kind === "cached" && idHex(outcome.ping!.id),
    idHex(far[0].id),
    "the stalest is pinged",
  );
  table.failed(far[0].id);
  assert.ok(table.get(far[0].id), "one failure is not enough");
  table.failed(far[0].id);
  assert.equal(table.get(far[0].id), undefined, "bad: replaced");
  assert.ok(table.get(newcomer.id), "the replacement took its place");
});

Deno.test("routing table: a bad node gives way to a newcomer at once", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  table.heard({ id: idAt(5), endpoint: endpoint() }, "reply");
  const far = Array.from({ length: K }, (_, i) => ({ id: idAt(0, i + 1), endpoint: endpoint() }));
  for (const node of far) table.heard(node, "reply");
  for (let i = 0; i < BAD_AFTER_FAILURES; i++) table.failed(far[3].id);
  const newcomer = { id: idAt(0, 99), endpoint: endpoint() };
  assert.equal(table.heard(newcomer, "query").kind, "added");
  assert.equal(table.get(far[3].id), undefined);
});

Deno.test("routing table: hostile ids are refused (ours, many from one address, a known id elsewhere)", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  assert.equal(table.heard({ id: ours, endpoint: endpoint() }, "reply").kind, "refused");
  const host = endpoint();
  assert.equal(table.heard({ id: idAt(1), endpoint: host }, "reply").kind, "added");
  // One address claiming 100 more ids gets none of them in, on any port.
  for (let i = 0; i < 100; i++) {
    const outcome = table.heard({
      id: idAt(i % 150, i + 1),
      endpoint: { ip: host.ip, port: 1000 + i },
    }, "query");
    assert.equal(outcome.kind, "refused");
  }
  assert.equal(table.size, 1);
  // The known id showing up at another address does not move it.
  assert.equal(table.heard({ id: idAt(1), endpoint: endpoint() }, "reply").kind, "refused");
  assert.deepEqual(table.get(idAt(1))!.endpoint, host);
  // On loopback, ports tell nodes apart (a lab of nodes on one machine).
  const lab = new RoutingTable(ours, { clock });
  for (let i = 0; i < 5; i++) {
    lab.heard({ id: idAt(0, i + 1), endpoint: { ip: "127.0.0.1", port: 7000 + i } }, "reply");
  }
  assert.equal(lab.size, 5);
});

Deno.test("routing table: quiet buckets are refreshed with a target in their range", () => {
  const clock = new ManualClock();
  const table = new RoutingTable(ours, { clock });
  table.heard({ id: idAt(0, 1), endpoint: endpoint() }, "reply");
  for (let bit = 1; bit < 6; bit++) {
    for (let i = 0; i < 3; i++) {
      table.heard({ id: idAt(bit, i + 1), endpoint: endpoint() }, "reply");
    }
  }
  assert.ok(table.bucketCount > 1);
  assert.deepEqual(table.staleBuckets(), []);
  clock.advance(REFRESH_AFTER_MS - 1);
  // A bucket touched meanwhile is not stale.
  table.heard({ id: idAt(0, 1), endpoint: table.get(idAt(0, 1))!.endpoint }, "reply");
  clock.advance(1);
  const targets = table.staleBuckets();
  assert.equal(targets.length, table.bucketCount - 1);
  targets.forEach((target, index) => {
    const bucket = index + 1;
    const bits = commonPrefixBits(target, ours);
    // The last bucket holds every id at least that near; the others exactly their bit.
    if (bucket === table.bucketCount - 1) assert.ok(bits >= bucket);
    else assert.equal(bits, bucket, `bucket ${bucket}'s target shares ${bits} bits`);
  });
  assert.deepEqual(table.staleBuckets(), [], "refreshed buckets count as touched");
});

Deno.test("routing table: closest is the k nearest by XOR, as a full sort says", () => {
  const clock = new ManualClock();
  const random = seededRandom(3);
  const base = new Uint8Array(20).map(() => Math.floor(random() * 256));
  const table = new RoutingTable(base, { clock });
  for (let i = 0; i < 2000; i++) {
    const id = new Uint8Array(20).map(() => Math.floor(random() * 256));
    table.heard({ id, endpoint: endpoint() }, "reply");
  }
  for (let trial = 0; trial < 50; trial++) {
    const target = trial % 2 === 0
      ? new Uint8Array(20).map(() => Math.floor(random() * 256))
      : idInRange(base, trial, true, new Uint8Array(20).map(() => Math.floor(random() * 256)));
    const all = [...table.nodes()].sort((a, b) => compareDistance(a.id, b.id, target));
    assert.deepEqual(
      table.closest(target, K).map((node) => idHex(node.id)),
      all.slice(0, K).map((node) => idHex(node.id)),
    );
  }
});

Deno.test("node ids: idInRange keeps exactly the prefix asked for", () => {
  const random = seededRandom(9);
  for (let bits = 0; bits < 160; bits++) {
    const base = new Uint8Array(20).map(() => Math.floor(random() * 256));
    const exact = idInRange(base, bits, true);
    assert.equal(commonPrefixBits(exact, base), bits);
    assert.ok(commonPrefixBits(idInRange(base, bits, false), base) >= bits);
  }
});
