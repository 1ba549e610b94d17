/** `p2p daemon` as a process: what it prints, its API, and a clean stop on SIGTERM. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isLoopback } from "../../src/daemon/mod.ts";
import { withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";

Deno.test("isLoopback: only loopback addresses keep the web UI to this machine", () => {
  const cases: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.0.0.2", true],
    ["localhost", true],
    ["::1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.5", false],
  ];
  for (const [host, expected] of cases) assert.equal(isLoopback(host), expected, host);
});

Deno.test("p2p daemon: prints the UI's address with the token, serves it, stops on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "data");
    const daemon = spawnP2p(
      dir,
      "daemon",
      "--data-dir",
      data,
      "-d",
      "downloads",
      "--host",
      "127.0.0.1",
      "-p",
      "0",
      "--web-port",
      "0",
    );
    try {
      const [, url, base, token] = await daemon.waitForLine(
        /^web UI: ((http:\/\/127\.0\.0\.1:\d+)\/\?token=([0-9a-f]{64}))$/,
      );
      await daemon.waitForLine(/^peers on port \d+$/);
      assert.equal((await Deno.readTextFile(join(data, "daemon", "token"))).trim(), token);
      const login = await fetch(url, { redirect: "manual" });
      assert.equal(login.status, 303);
      await login.body?.cancel();
      const session = await fetch(`${base}/api/session`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const info = await session.json();
      assert.equal(info.downloadDirectory, join(dir, "downloads"));
      assert.equal(info.dht, false, "P2P_NO_DISCOVERY keeps the DHT off");
      assert.deepEqual((await Deno.stat(join(dir, "downloads"))).isDirectory, true);
    } finally {
      const status = await daemon.stop("SIGTERM");
      assert.equal(status.code, 0, daemon.stderr());
    }
  });
});
