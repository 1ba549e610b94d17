import assert from "node:assert/strict";
import { formatDuration, formatRate, formatTime } from "../../src/tracker/web/format.ts";

Deno.test("page formats: rates, durations and times", () => {
  const cases: [string, string][] = [
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
