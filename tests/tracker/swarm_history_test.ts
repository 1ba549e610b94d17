import assert from "node:assert/strict";
import { SwarmHistory } from "../../src/tracker/swarm_history.ts";

/** A round from a table of counts, as the tracker takes one from its registry. */
function record(
  history: SwarmHistory,
  at: number,
  rows: [string, number, number][],
): string[] {
  const counted: string[] = [];
  history.record(at, rows.map(([key]) => key), (key) => {
    counted.push(key);
    const [, seeders, leechers] = rows.find(([name]) => name === key)!;
    return [seeders, leechers];
  });
  return counted;
}

const counts = (history: SwarmHistory, key: string) =>
  history.of(key).map(({ at, seeders, leechers }) => [at, seeders, leechers]);

Deno.test("swarm history: samples since a swarm joined, oldest first, the ring's length at most", () => {
  const history = new SwarmHistory({ samples: 3 });
  record(history, 1, [["a", 1, 0]]);
  record(history, 2, [["a", 2, 1], ["b", 5, 5]]);
  assert.deepEqual(counts(history, "a"), [[1, 1, 0], [2, 2, 1]]);
  assert.deepEqual(counts(history, "b"), [[2, 5, 5]]);
  record(history, 3, [["a", 3, 2], ["b", 6, 6]]);
  record(history, 4, [["a", 4, 3], ["b", 7, 7]]);
  assert.deepEqual(counts(history, "a"), [[2, 2, 1], [3, 3, 2], [4, 4, 3]]);
  assert.deepEqual(counts(history, "b"), [[2, 5, 5], [3, 6, 6], [4, 7, 7]]);
  assert.deepEqual(history.of("unknown"), []);
});

Deno.test("swarm history: a swarm left out of a round counts zero there, not a ring-old value", () => {
  const history = new SwarmHistory({ samples: 2 });
  record(history, 1, [["a", 9, 9]]);
  record(history, 2, [["a", 8, 8]]);
  record(history, 3, []);
  assert.deepEqual(counts(history, "a"), [[2, 8, 8], [3, 0, 0]]);
});

Deno.test("swarm history: at most maxSwarms charted; a forgotten one makes room", () => {
  const history = new SwarmHistory({ samples: 4, maxSwarms: 2 });
  const counted = record(history, 1, [["a", 1, 1], ["b", 1, 1], ["c", 1, 1]]);
  assert.deepEqual(counted, ["a", "b"], "a swarm with no room is not even counted");
  assert.equal(history.of("c").length, 0);
  history.forget("a");
  assert.equal(history.of("a").length, 0);
  record(history, 2, [["b", 2, 2], ["c", 2, 2]]);
  assert.deepEqual(counts(history, "c"), [[2, 2, 2]]);
  assert.equal(history.of("b").length, 2);
});
