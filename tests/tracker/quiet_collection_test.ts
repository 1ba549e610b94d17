import assert from "node:assert/strict";
import { exposedCollection, QuietCollection } from "../../src/tracker/quiet_collection.ts";

const MIB = 2 ** 20;

/** A collection over a pretend heap: `collect` brings it down to `live`. */
function pretendHeap(start: number) {
  const heap = { used: start, live: start, collections: 0 };
  const quiet = new QuietCollection({
    collect: () => {
      heap.collections++;
      heap.used = heap.live;
    },
    heapUsed: () => heap.used,
    quietBelow: 20,
    minGrowthBytes: 8 * MIB,
  });
  return { heap, quiet };
}

Deno.test("a burst then quiet: one collection, in the first quiet window", () => {
  const { heap, quiet } = pretendHeap(10 * MIB);
  heap.used = 40 * MIB; // the burst's garbage
  heap.live = 18 * MIB;
  assert.equal(quiet.window(5_000), false, "busy: no collection");
  assert.equal(quiet.window(3), true, "quiet after growth: collected");
  assert.equal(heap.used, 18 * MIB);
  assert.equal(quiet.window(0), false, "still quiet, nothing grew: not again");
  assert.equal(quiet.window(0), false);
  assert.equal(heap.collections, 1);
});

Deno.test("quiet without growth, or growth without quiet, collects nothing", () => {
  const { heap, quiet } = pretendHeap(10 * MIB);
  heap.used = 17 * MIB; // under the 8 MiB of growth
  assert.equal(quiet.window(0), false);
  heap.used = 60 * MIB;
  for (let i = 0; i < 10; i++) assert.equal(quiet.window(20), false, "20 requests is not quiet");
  assert.equal(heap.collections, 0);
});

Deno.test("growth counts from the heap's lowest point, so shrinking on its own resets it", () => {
  const { heap, quiet } = pretendHeap(30 * MIB);
  heap.used = 12 * MIB; // V8 collected by itself
  assert.equal(quiet.window(0), false);
  heap.used = 21 * MIB; // 9 MiB above the low point, 9 below the start
  assert.equal(quiet.window(0), true);
});

Deno.test("p2p's shipped V8 flags expose the collection; without them there is none", async () => {
  const probe = "console.log(typeof (await import(" +
    JSON.stringify(new URL("../../src/tracker/quiet_collection.ts", import.meta.url).href) +
    ")).exposedCollection())";
  const run = async (flags: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", ...flags, probe],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(output.stdout).trim();
  };
  const { V8_FLAGS } = await import("../../scripts/p2p_runtime.ts");
  assert.equal(await run([V8_FLAGS]), "function");
  assert.equal(await run([]), "undefined");
  // This test process itself runs without them.
  assert.equal(exposedCollection(), undefined);
});
