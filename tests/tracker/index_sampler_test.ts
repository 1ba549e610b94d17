import assert from "node:assert/strict";
import { IndexSampler } from "../../src/tracker/index_sampler.ts";

Deno.test("picks are distinct, in range, and written from the offset", () => {
  const sampler = new IndexSampler();
  const out = new Int32Array(60).fill(-1);
  for (const [total, count] of [[1, 1], [10, 10], [1000, 50], [100_000, 50], [51, 50]]) {
    out.fill(-1);
    sampler.sample(total, count, out, 10);
    const picked = [...out.subarray(10, 10 + count)];
    assert.equal(new Set(picked).size, count, `${count} of ${total}: distinct`);
    assert.ok(picked.every((n) => n >= 0 && n < total), "in range");
    assert.deepEqual([...out.subarray(0, 10)], Array(10).fill(-1), "nothing before the offset");
  }
  assert.throws(() => sampler.sample(3, 4, out, 0), RangeError);
});

Deno.test("every number is picked about equally often, call after call", () => {
  const sampler = new IndexSampler();
  const counts = new Array(40).fill(0);
  const out = new Int32Array(10);
  const calls = 20_000;
  for (let call = 0; call < calls; call++) {
    sampler.sample(40, 10, out, 0);
    for (const n of out) counts[n]++;
  }
  // Each number is expected calls / 4 = 5,000 times; 5 % off is far beyond chance here.
  for (const [n, seen] of counts.entries()) assert.ok(Math.abs(seen - 5000) < 250, `${n}: ${seen}`);
});

Deno.test("a given random source gives the same picks (Floyd's algorithm, step by step)", () => {
  // Draws of 0.99 then 0: j = 3 picks 3; j = 4 draws 0.
  const draws = [0.99, 0];
  const sampler = new IndexSampler(() => draws.shift()!);
  const out = new Int32Array(2);
  sampler.sample(5, 2, out, 0);
  assert.deepEqual([...out], [3, 0]);
  // A draw that repeats an earlier pick takes j instead.
  const repeat = [0.5, 0.5];
  const again = new IndexSampler(() => repeat.shift()!);
  again.sample(4, 2, out, 0); // j = 2: floor(1.5) = 1; j = 3: floor(2) = 2
  assert.deepEqual([...out], [1, 2]);
  const collide = [0.4, 0.3];
  const third = new IndexSampler(() => collide.shift()!);
  third.sample(4, 2, out, 0); // j = 2: floor(1.2) = 1; j = 3: floor(1.2) = 1, taken: 3
  assert.deepEqual([...out], [1, 3]);
});
