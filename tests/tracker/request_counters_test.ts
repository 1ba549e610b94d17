import assert from "node:assert/strict";
import { RATE_SAMPLE_SECONDS, RequestCounters } from "../../src/tracker/request_counters.ts";

Deno.test("announce rates: per protocol, over the kept window; zero before any time passed", () => {
  const counters = new RequestCounters();
  assert.deepEqual(counters.announceRates(0), { http: 0, udp: 0 });
  counters.sample(0);
  assert.deepEqual(counters.announceRates(0), { http: 0, udp: 0 });
  counters.http.announces += 200;
  counters.udp.announces += 50;
  assert.deepEqual(counters.announceRates(10_000), { http: 20, udp: 5 });
});

Deno.test("announce rates: samples are kept every 10 s for a minute, then the old ones go", () => {
  const counters = new RequestCounters();
  counters.sample(0);
  for (let second = 1; second <= 120; second++) {
    // 10 a second in the first minute, then 100 a second.
    counters.http.announces += second <= 60 ? 10 : 100;
    counters.sample(second * 1000);
  }
  // The oldest sample kept is a minute old: the first minute's slower rate is gone.
  assert.equal(counters.announceRates(120_000).http, 100);
  assert.equal(counters.announceRates(120_000).udp, 0);
  assert.equal(RATE_SAMPLE_SECONDS, 10);
});
