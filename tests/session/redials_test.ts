import assert from "node:assert/strict";
import { REDIAL_DELAYS_MS, Redials } from "../../src/session/redials.ts";
import { ManualClock } from "../engine/manual_clock.ts";

const peer = { ip: "10.0.0.1", port: 6881 };

Deno.test("redials wait longer after each failure, give up after the last, and start over once reached", () => {
  const clock = new ManualClock();
  const redialled: number[] = [];
  const redials = new Redials(clock, () => redialled.push(clock.now()));
  const delays: (number | undefined)[] = [];
  for (let attempt = 0; attempt <= REDIAL_DELAYS_MS.length; attempt++) {
    delays.push(redials.failed("10.0.0.1:6881", peer));
    clock.advance(1_000_000);
  }
  assert.deepEqual(delays, [...REDIAL_DELAYS_MS, undefined], "given up after the last delay");
  assert.equal(redialled.length, REDIAL_DELAYS_MS.length);
  assert.equal(redials.failed("10.0.0.1:6881", peer), REDIAL_DELAYS_MS[0], "a fresh start");
  redials.reached("10.0.0.1:6881");
  redials.close();
  clock.advance(1_000_000);
  assert.equal(redialled.length, REDIAL_DELAYS_MS.length, "closing cancels what was pending");
  assert.equal(redials.failed("10.0.0.1:6881", peer), undefined, "nothing after closing");
});
