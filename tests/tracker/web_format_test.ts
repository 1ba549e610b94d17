import assert from "node:assert/strict";
import {
  counted,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatTime,
} from "../../src/tracker/web/format.ts";

Deno.test("page formats: sizes, counts, rates, durations and times", () => {
  const cases: [string, string][] = [
    [formatBytes(0), "0 B"],
    [formatBytes(1023), "1023 B"],
    [formatBytes(1536), "1.5 KiB"],
    [formatBytes(10_380_000), "9.9 MiB"],
    [formatBytes(754_974_720), "720 MiB"],
    [formatCount(1_234_567), "1,234,567"],
    [counted(1, "file"), "1 file"],
    [counted(1200, "seeder"), "1,200 seeders"],
    [formatRate(12.345), "12.3"],
    [formatDuration(0), "0 s"],
    [formatDuration(59), "59 s"],
    [formatDuration(3600), "1 h"],
    [formatDuration(3725), "1 h 2 min"],
    [formatDuration(90061), "1 d 1 h"],
    [formatTime(Date.UTC(2026, 11, 2, 4, 5, 59)), "2026-12-02 04:05 UTC"],
  ];
  for (const [actual, expected] of cases) assert.equal(actual, expected);
});
