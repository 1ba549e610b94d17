import assert from "node:assert/strict";
import { SwarmChart } from "../../src/tracker/web/swarm_chart.tsx";

async function svg(samples: { at: number; seeders: number; leechers: number }[]) {
  return String(await SwarmChart({ samples }));
}

function points(markup: string, series: "seeders" | "leechers"): number[][] {
  const match = new RegExp(`class="${series}" points="([^"]*)"`).exec(markup);
  assert.ok(match, `${series} line in ${markup}`);
  return match[1] === "" ? [] : match[1].split(" ").map((point) => point.split(",").map(Number));
}

Deno.test("swarm chart: a line per series across the time span, the larger count higher", async () => {
  const markup = await svg([
    { at: 0, seeders: 0, leechers: 4 },
    { at: 300_000, seeders: 2, leechers: 2 },
    { at: 600_000, seeders: 4, leechers: 0 },
  ]);
  const seeders = points(markup, "seeders");
  const leechers = points(markup, "leechers");
  assert.equal(seeders.length, 3);
  const xs = seeders.map(([x]) => x);
  assert.deepEqual(xs, leechers.map(([x]) => x));
  assert.ok(xs[0] < xs[1] && xs[1] < xs[2]);
  assert.ok(Math.abs(xs[1] - (xs[0] + xs[2]) / 2) < 0.1, "evenly spaced in time");
  // SVG's y grows downwards: the top count is at the top.
  assert.ok(seeders[2][1] < seeders[0][1]);
  assert.deepEqual(seeders[2][1], leechers[0][1]);
  assert.match(markup, />4</, "the axis is labelled with the top count");
  assert.match(markup, />00:10 UTC</);
});

Deno.test("swarm chart: one sample sits in the middle; none draws empty lines, never NaN", async () => {
  const one = await svg([{ at: 1000, seeders: 1, leechers: 0 }]);
  assert.equal(points(one, "seeders").length, 1);
  const empty = await svg([]);
  assert.deepEqual(points(empty, "seeders"), []);
  for (const markup of [one, empty]) assert.doesNotMatch(markup, /NaN|Infinity/);
});
