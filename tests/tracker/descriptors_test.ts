import assert from "node:assert/strict";
import { defaultMaxConnections, parseOpenFileLimit } from "../../src/tracker/mod.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            256                  4096                 files
Max locked memory         8388608              8388608              bytes
`;

const cases: [string, string, number | undefined][] = [
  ["the soft limit, not the hard one", LIMITS, 256],
  ["unlimited", LIMITS.replace("256                  4096", "unlimited  unlimited"), undefined],
  ["no such line", "Limit Soft Limit Hard Limit Units\n", undefined],
  ["empty", "", undefined],
];

for (const [name, text, expected] of cases) {
  Deno.test(`parseOpenFileLimit: ${name}`, () => {
    assert.equal(parseOpenFileLimit(text), expected);
  });
}

Deno.test("defaultMaxConnections keeps 64 descriptors back, and takes at least 16", () => {
  assert.equal(defaultMaxConnections(256), 192);
  assert.equal(defaultMaxConnections(20_000), 19_936);
  assert.equal(defaultMaxConnections(50), 16);
  assert.equal(defaultMaxConnections(undefined), 1024 - 64, "a usual limit where unknown");
});
