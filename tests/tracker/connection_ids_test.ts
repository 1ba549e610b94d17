import assert from "node:assert/strict";
import { CONNECTION_ID_WINDOW_MS, ConnectionIds } from "../../src/tracker/mod.ts";

const WINDOW = CONNECTION_ID_WINDOW_MS;

Deno.test("a connection id is valid for its address and port only", () => {
  const ids = new ConnectionIds();
  const id = ids.issue("127.0.0.1", 6881);
  assert.equal(ids.isValid(id, "127.0.0.1", 6881), true);
  assert.equal(ids.issue("127.0.0.1", 6881), id, "the same source gets the same id in a window");
  for (
    const [address, port] of [["127.0.0.1", 6882], ["127.0.0.2", 6881], ["::1", 6881]] as const
  ) {
    assert.equal(ids.isValid(id, address, port), false, `${address}:${port}`);
  }
  assert.notEqual(ids.issue("127.0.0.2", 6881), id);
});

Deno.test("ids made under another key (another tracker process), and guessed ids, are refused", () => {
  const ours = new ConnectionIds();
  const theirs = new ConnectionIds();
  assert.equal(ours.isValid(theirs.issue("10.0.0.1", 1), "10.0.0.1", 1), false, "keys are random");
  const id = ours.issue("10.0.0.1", 1);
  for (const forged of [0n, 0x41727101980n, id ^ 1n, id ^ (1n << 63n), 2n ** 64n - 1n]) {
    assert.equal(ours.isValid(forged, "10.0.0.1", 1), false, `0x${forged.toString(16)}`);
  }
});

Deno.test("an id is valid in its window and the next, then stale: two to four minutes", () => {
  let now = 5 * WINDOW + 1; // just after a window began
  const ids = new ConnectionIds(() => now);
  const early = ids.issue("10.0.0.1", 1);
  now = 6 * WINDOW - 1;
  const late = ids.issue("10.0.0.1", 1);
  assert.equal(late, early, "one key for the whole window");
  now = 7 * WINDOW - 1; // almost four minutes after `early`, two after `late`
  assert.equal(ids.isValid(early, "10.0.0.1", 1), true, "accepted in the next window");
  const fresh = ids.issue("10.0.0.1", 1);
  assert.notEqual(fresh, early, "a new window, a new key");
  now = 7 * WINDOW;
  assert.equal(ids.isValid(early, "10.0.0.1", 1), false, "stale two windows on");
  assert.equal(ids.isValid(fresh, "10.0.0.1", 1), true);
});

Deno.test("a clock that jumps ahead or back keeps no key whose ids might be stale", () => {
  let now = 10 * WINDOW;
  const ids = new ConnectionIds(() => now);
  const id = ids.issue("10.0.0.1", 1);
  now = 13 * WINDOW;
  assert.equal(ids.isValid(id, "10.0.0.1", 1), false, "three windows on");
  const later = ids.issue("10.0.0.1", 1);
  now = 12 * WINDOW;
  assert.equal(ids.isValid(later, "10.0.0.1", 1), false, "set back a window");
});
