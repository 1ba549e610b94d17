import assert from "node:assert/strict";
import { join } from "node:path";
import {
  bootstrapNames,
  dataDirectory,
  dhtEnabled,
  lsdEnabled,
  parseHostPort,
  PUBLIC_DHT_ROUTERS,
} from "../../src/cli/discovery.ts";
import type { CliEnv } from "../../src/cli/env.ts";
import { decodeSavedDht, DHT_STATE_FILE } from "../../src/dht/mod.ts";
import { runP2p, testBytes, withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";

/** A CLI environment whose variables are `variables` (none: an in-process test's). */
function envWith(variables?: Record<string, string>): CliEnv {
  return {
    args: [],
    cwd: "/work",
    stdout: { write: () => {} },
    stderr: { write: () => {} },
    interactive: false,
    now: () => new Date(),
    stopRequested: () => new AbortController().signal,
    getEnv: variables && ((name) => variables[name]),
  };
}

const SAVED = {
  id: new Uint8Array(20),
  nodes: [{ id: new Uint8Array(20).fill(1), endpoint: { ip: "127.0.0.1", port: 9 } }],
};

Deno.test("discovery: on a real network the DHT and LSD are on and an empty table joins through the public routers", () => {
  const env = envWith({ HOME: "/home/u" });
  assert.equal(dhtEnabled(env, {}), true);
  assert.equal(lsdEnabled(env, {}), true);
  assert.deepEqual(bootstrapNames(env, {}, undefined), PUBLIC_DHT_ROUTERS);
  assert.deepEqual(bootstrapNames(env, {}, SAVED), [], "a saved table needs no routers");
  assert.deepEqual(bootstrapNames(env, { dhtBootstrap: ["10.0.0.1:6881"] }, undefined), [
    "10.0.0.1:6881",
  ]);
  assert.deepEqual(
    bootstrapNames(env, {}, undefined, false),
    [],
    "a lab's root node joins nothing",
  );
  assert.equal(dataDirectory(env, {}), "/home/u/.local/share/p2p");
  assert.equal(dataDirectory(envWith({ HOME: "/h", XDG_DATA_HOME: "/x" }), {}), "/x/p2p");
  assert.equal(dataDirectory(env, { dataDir: "state" }), "/work/state");
  assert.equal(dhtEnabled(env, { dht: false }), false);
  assert.equal(lsdEnabled(env, { lsd: false }), false);
});

Deno.test("discovery: P2P_NO_DISCOVERY, or an environment that cannot tell, discovers nothing unasked", () => {
  for (const env of [envWith({ P2P_NO_DISCOVERY: "1", HOME: "/home/u" }), envWith()]) {
    assert.equal(dhtEnabled(env, {}), false);
    assert.equal(lsdEnabled(env, {}), false);
    assert.deepEqual(bootstrapNames(env, { dht: true }, undefined), [], "never the public routers");
    assert.equal(dataDirectory(env, {}), undefined, "nothing saved in the home directory");
    // Asked for explicitly, they are on.
    assert.equal(dhtEnabled(env, { dhtBootstrap: ["127.0.0.1:1"] }), true);
    assert.equal(lsdEnabled(env, { lsd: true }), true);
  }
  // The empty string is unset, as a test clearing the variable for a namespace means it.
  assert.equal(dhtEnabled(envWith({ P2P_NO_DISCOVERY: "" }), {}), true);
});

Deno.test("discovery: --dht-bootstrap takes HOST:PORT and [IPv6]:PORT, and bad values are one clear line", async () => {
  assert.deepEqual(parseHostPort("router.example:6881"), { host: "router.example", port: 6881 });
  assert.deepEqual(parseHostPort("[::1]:7000"), { host: "::1", port: 7000 });
  for (const bad of ["nohost", "h:0", "h:70000", ":5", "a b:1"]) {
    const run = await runP2p("/tmp", "seed", "x.torrent", "--dht-bootstrap", bad);
    assert.equal(run.code, 2, bad);
    assert.match(
      run.stderr,
      /^p2p: option '--dht-bootstrap <host:port>' argument '.*' is invalid\. must be HOST:PORT/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  }
});

Deno.test("p2p dht: a standalone node other p2p processes bootstrap from and download through, its table saved", async () => {
  await withTempDir(async (dir) => {
    const dataDir = join(dir, "state");
    const root = spawnP2p(
      dir,
      "dht",
      "-p",
      "0",
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "-q",
    );
    const processes = [root];
    try {
      const [, id, port] = await root.waitForLine(/^dht node ([0-9a-f]{40}) on port (\d+)$/);
      const bootstrap = ["--dht-bootstrap", `127.0.0.1:${port}`];
      const data = testBytes(200_000, 5);
      await Deno.mkdir(join(dir, "seed"));
      await Deno.writeFile(join(dir, "seed", "file.bin"), data);
      const made = await runP2p(dir, "make-torrent", "seed/file.bin", "-o", "file.torrent");
      assert.equal(made.code, 0, made.stderr);
      const seed = spawnP2p(
        dir,
        "seed",
        "file.torrent",
        "-d",
        "seed",
        "-p",
        "0",
        "--host",
        "127.0.0.1",
        "--data-dir",
        join(dir, "seed-state"),
        "-q",
        ...bootstrap,
      );
      processes.push(seed);
      const [, infoHash] = await seed.waitForLine(/^seeding .* \(([0-9a-f]{40})\) on port \d+$/);
      // The leecher knows the info hash only: no tracker, no peer address.
      const get = spawnP2p(
        dir,
        "get",
        infoHash,
        "-d",
        "got",
        "-p",
        "0",
        "--host",
        "127.0.0.1",
        "--timeout",
        "30",
        "--data-dir",
        join(dir, "get-state"),
        "--json",
        ...bootstrap,
      );
      processes.push(get);
      const status = await get.child.status;
      assert.equal(status.code, 0, get.stderr());
      assert.deepEqual(await Deno.readFile(join(dir, "got", "file.bin")), data);
      await root.stop("SIGINT");
      const saved = decodeSavedDht(await Deno.readFile(join(dataDir, DHT_STATE_FILE)));
      assert.equal([...saved.id].map((b) => b.toString(16).padStart(2, "0")).join(""), id);
      assert.ok(saved.nodes.length >= 1, "the root saved the nodes it met");
    } finally {
      await Promise.all(processes.map((process) => process.stop("SIGKILL")));
    }
  });
});
