import assert from "node:assert/strict";
import { join } from "node:path";
import {
  bytesToBinaryString,
  compactPeer,
  decodeSwarmFile,
  restoreSwarms,
  SwarmRegistry,
  SwarmSaver,
} from "../../src/tracker/mod.ts";
import { withTempDir } from "../helpers.ts";

const OPTIONS = { interval: 1800, minInterval: 60 };
const HASH = "\xaa".repeat(20);

function join1(registry: SwarmRegistry, port: number, left = 0): void {
  registry.announce({
    infoHash: HASH,
    peerId: "-XX0001-" + "0".repeat(12),
    port,
    uploaded: 0,
    downloaded: 0,
    left,
    event: "",
    compact: true,
    numwant: 0,
  }, bytesToBinaryString(compactPeer("10.0.0.1", port)!));
}

Deno.test("a save writes the whole file under its name and leaves no temporary behind", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarms.bin");
    const registry = new SwarmRegistry(OPTIONS);
    join1(registry, 6881);
    join1(registry, 6882, 5);
    const saver = new SwarmSaver(registry, path);
    await saver.save();
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["swarms.bin"]);
    const restored = await restoreSwarms(path, () => new SwarmRegistry(OPTIONS));
    assert.deepEqual(restored.scrape(HASH), { complete: 1, incomplete: 1, downloaded: 0 });
  });
});

Deno.test("nothing changed since the last save: no write; stop saves what changed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarms.bin");
    const registry = new SwarmRegistry(OPTIONS);
    const saver = new SwarmSaver(registry, path);
    await saver.save();
    assert.equal(decodeSwarmFile(await Deno.readFile(path)).swarms.length, 0, "the first writes");
    join1(registry, 6881);
    await saver.save();
    await Deno.remove(path);
    await saver.save();
    assert.equal(await Deno.stat(path).catch(() => null), null, "unchanged: not written");
    join1(registry, 6881); // an announce again is a change: its lifetime starts over
    await saver.stop();
    assert.equal(decodeSwarmFile(await Deno.readFile(path)).swarms.length, 1);
  });
});

Deno.test("saves asked for at once run one after the other", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarms.bin");
    const registry = new SwarmRegistry(OPTIONS);
    const saver = new SwarmSaver(registry, path);
    join1(registry, 6881);
    const first = saver.save();
    join1(registry, 6882);
    await Promise.all([first, saver.save()]);
    assert.equal(decodeSwarmFile(await Deno.readFile(path)).swarms[0].ipv4.secondsLeft.length, 2);
  });
});

Deno.test("a save that fails is one log line, and the tracker goes on", async () => {
  await withTempDir(async (dir) => {
    const registry = new SwarmRegistry(OPTIONS);
    join1(registry, 6881);
    const lines: string[] = [];
    const saver = new SwarmSaver(
      registry,
      join(dir, "missing", "swarms.bin"),
      (l) => lines.push(l),
    );
    await saver.save();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^cannot save the swarms to .*missing\/swarms\.bin: /);
  });
});

Deno.test("no file is a first start: an empty registry and not a word", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    const registry = await restoreSwarms(
      join(dir, "swarms.bin"),
      () => new SwarmRegistry(OPTIONS),
      (line) => lines.push(line),
    );
    assert.deepEqual(registry.size, { swarms: 0, peers: 0 });
    assert.deepEqual(lines, []);
  });
});

Deno.test("a corrupt, truncated or unreadable file is one warning line and an empty registry", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarms.bin");
    const registry = new SwarmRegistry(OPTIONS);
    for (let port = 1; port <= 50; port++) join1(registry, port);
    await new SwarmSaver(registry, path).save();
    const whole = await Deno.readFile(path);
    const damaged = whole.slice();
    damaged[100] ^= 1;
    const cases: [string, () => Promise<void>][] = [
      ["truncated", () => Deno.writeFile(path, whole.subarray(0, whole.length - 9))],
      ["corrupt", () => Deno.writeFile(path, damaged)],
      ["empty", () => Deno.writeFile(path, new Uint8Array(0))],
      ["a directory", async () => {
        await Deno.remove(path);
        await Deno.mkdir(path);
      }],
    ];
    for (const [name, make] of cases) {
      await make();
      const lines: string[] = [];
      const restored = await restoreSwarms(path, () => new SwarmRegistry(OPTIONS), (line) => {
        lines.push(line);
      });
      assert.deepEqual(restored.size, { swarms: 0, peers: 0 }, name);
      assert.equal(lines.length, 1, name);
      assert.match(lines[0], /^warning: ignoring the saved swarms in .*; starting with none$/);
    }
  });
});
