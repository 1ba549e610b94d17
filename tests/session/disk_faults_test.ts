/**
 * Disk faults during `p2p get`: a full disk and a read-only target each end
 * in one clear line and a non-zero exit, never a crash. Both need a small
 * tmpfs of the test's own, so they run where mounting is allowed (as root,
 * as in CI).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { startSwarm } from "./swarm_helpers.ts";

function mount(dir: string, options: string): boolean {
  return new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stderr: "null",
  })
    .outputSync().success;
}

function unmount(dir: string): void {
  new Deno.Command("umount", { args: [dir], stderr: "null" }).outputSync();
}

const canMount = (() => {
  if (Deno.build.os !== "linux") return false;
  const dir = Deno.makeTempDirSync();
  try {
    const ok = mount(dir, "size=64k");
    if (ok) unmount(dir);
    return ok;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir);
  }
})();

const cases: [string, string, RegExp][] = [
  ["a full disk", "size=1m", /^p2p: cannot write .*data\.bin\.part: no space left on device\n$/m],
  ["a read-only target", "size=1m,ro", /^p2p: read-only file system: .*data\.bin\.part\n$/m],
];

for (const [name, options, message] of cases) {
  Deno.test({
    name: `get: ${name} gives one clear line and exit 1`,
    ignore: !canMount,
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await startSwarm(dir, {
          name: "data.bin",
          layout: { "data.bin": 3_000_000 },
          pieceLength: "64K",
          seeds: 1,
        });
        const target = join(dir, "small");
        await Deno.mkdir(target);
        assert.ok(mount(target, options), "mount the tmpfs");
        try {
          const get = spawnP2p(dir, "get", swarm.torrentPath, "-d", target, "-q");
          const status = await get.child.status;
          await get.stop();
          assert.equal(status.code, 1, get.stderr());
          assert.match(get.stderr(), message);
          assert.doesNotMatch(get.stderr(), /\n\s+at /, "no stack trace");
        } finally {
          unmount(target);
          await swarm.stop();
        }
      });
    },
  });
}
