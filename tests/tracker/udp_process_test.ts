import assert from "node:assert/strict";
import dgram from "node:dgram";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";
import { spawnP2p, spawnTracker } from "../process_helpers.ts";
import { withUdpPeers } from "./udp_helpers.ts";

Deno.test("p2p tracker says both URLs, HTTP's first, and answers UDP on the same port", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "data"));
    try {
      const [, udpUrl] = await tracker.waitForLine(/^listening on (udp:\S+)$/);
      assert.match(announceUrl, /^http:/, "the first line is still HTTP's");
      assert.equal(new URL(udpUrl).port, new URL(announceUrl).port);
      await withUdpPeers(udpUrl, 1, async (peer) => {
        assert.equal(typeof await peer.connect(), "bigint");
      });
    } finally {
      await tracker.stop();
    }
  });
});

Deno.test("p2p tracker --udp-port on a busy port, or with --no-udp, says so in one line", async () => {
  await withTempDir(async (dir) => {
    const busy = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => busy.bind(0, "127.0.0.1", resolve));
    const port = busy.address().port;
    try {
      const refused = spawnP2p(dir, "tracker", "-p", "0", "-d", "a", "--udp-port", String(port));
      const status = await refused.child.status;
      await refused.stop();
      assert.equal(status.code, 1);
      assert.equal(refused.stderr(), `p2p: UDP port ${port} on 127.0.0.1 is already in use\n`);
    } finally {
      busy.close();
    }
    const both = spawnP2p(dir, "tracker", "-p", "0", "-d", "b", "--udp-port", "0", "--no-udp");
    const status = await both.child.status;
    await both.stop();
    assert.equal(status.code, 2);
    assert.match(both.stderr(), /--udp-port <port>' cannot be used with option '--no-udp'/);
  });
});

Deno.test("p2p tracker --no-udp prints the HTTP URL alone", async () => {
  await withTempDir(async (dir) => {
    const { tracker } = await spawnTracker(dir, join(dir, "data"), "--no-udp");
    // Both lines are written at once (synchronously): the first line seen means the second too.
    assert.equal((await tracker.stop()).code, 0);
    assert.deepEqual(tracker.stdoutLines().filter((line) => line.startsWith("listening on")), [
      tracker.stdoutLines()[0],
    ]);
    assert.match(tracker.stdoutLines()[0], /^listening on http:/);
  });
});
