import assert from "node:assert/strict";
import { counted, formatBytes, formatCount } from "../src/format.ts";

Deno.test("formatCount puts a comma every three digits", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [7, "7"],
    [999, "999"],
    [1000, "1,000"],
    [65536, "65,536"],
    [1234567, "1,234,567"],
    [-1234567, "-1,234,567"],
  ];
  for (const [count, text] of cases) assert.equal(formatCount(count), text);
});

Deno.test("formatBytes uses binary units with one decimal below 100", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [256 * 1024, "256 KiB"],
    [2 ** 30, "1 GiB"],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text);
});

Deno.test("counted says the noun in the singular for one", () => {
  assert.equal(counted(1, "file"), "1 file");
  assert.equal(counted(0, "peer"), "0 peers");
  assert.equal(counted(1200, "seeder"), "1,200 seeders");
});
