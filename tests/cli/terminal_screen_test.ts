/**
 * The final screen of `p2p get` on a pseudo-terminal, as a terminal
 * emulator draws it: step lines and verbose log lines intact, one bar, at
 * 100 %, and no rate made of bytes that were already on disk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, withTempDir } from "../helpers.ts";
import { LOG_TIME, runP2pOnTerminal } from "../process_helpers.ts";
import { finalScreen } from "../screen.ts";
import { startSwarm } from "../session/swarm_helpers.ts";

const BAR = /^Downloading \[[█░]+\] (\d+)% (\S+ \S+)\/(\S+ \S+) (\S+ \S+)\/s ETA (\S+)$/;

Deno.test({
  name: "get on a terminal: steps and log lines above one bar that ends at 100 %",
  ignore: !needsTools("script"),
  async fn() {
    await withTempDir(async (dir) => {
      // 2 MiB served at 1 MiB/s: two seconds of bar redraws with log lines between them.
      const swarm = await startSwarm(dir, {
        name: "slow.bin",
        layout: { "slow.bin": 2 * 1024 * 1024 },
        pieceLength: "64K",
        seeds: 1,
        seedArgs: ["--max-upload-rate", "1M"],
      });
      try {
        const { code, screen } = await runP2pOnTerminal(dir, [
          "get",
          swarm.torrentPath,
          "-d",
          join(dir, "got"),
          "-v",
        ]);
        const lines = await finalScreen(screen);
        assert.equal(code, 0, lines.join("\n"));
        const bars = lines.filter((line) => line.startsWith("Downloading ["));
        assert.equal(bars.length, 1, `one bar:\n${lines.join("\n")}`);
        const [, percent, done, total] = bars[0].match(BAR) ?? [];
        assert.equal(percent, "100", bars[0]);
        assert.equal(done, total);
        const steps = lines.filter((line) => /^\[\d\/4\]/.test(line)).map((line) =>
          line.slice(0, 5)
        );
        assert.deepEqual(steps, ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]);
        assert.ok(lines.indexOf(bars[0]) < lines.findIndex((line) => line.startsWith("[4/4]")));
        // Every other line is whole: a step, a verbose log line or the result, none with a bar in it.
        for (const line of lines.filter((line) => line !== bars[0])) {
          assert.doesNotMatch(line, /[█░]/, `a bar drawn into a line: ${line}`);
        }
        // -v lines are timestamped, and name the peer's client by its peer id and its `v`.
        const logged = (pattern: string) =>
          assert.ok(
            lines.some((line) => new RegExp(`^${LOG_TIME}${pattern}$`).test(line)),
            `no -v line ${pattern}:\n${lines.join("\n")}`,
          );
        logged("piece \\d+ from 127\\.0\\.0\\.1:\\d+");
        logged("127\\.0\\.0\\.1:\\d+: connected to, encrypted \\(RC4\\) over TCP");
        logged("127\\.0\\.0\\.1:\\d+: peer id -P20100- \\(p2p\\)");
        logged('127\\.0\\.0\\.1:\\d+: client says it is "p2p/0\\.1\\.0"');
        assert.doesNotMatch(screen, /INF|NULL/);
      } finally {
        await swarm.stop();
      }
    });
  },
});

Deno.test({
  name: "get on a terminal, resumed: the rate counts only what this run fetched",
  ignore: !needsTools("script"),
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await startSwarm(dir, {
        name: "big.bin",
        layout: { "big.bin": 8 * 1024 * 1024 },
        pieceLength: "256K",
        seeds: 1,
        seedArgs: ["--max-upload-rate", "256K"],
      });
      try {
        // All but the last 4 pieces already here: 7 MiB that a naive rate would count at once
        // (7 MiB/s or more, as the last MiB takes seconds at 256 KiB/s).
        const got = join(dir, "got");
        await Deno.mkdir(got);
        const data = await Deno.readFile(swarm.dataPath);
        await Deno.writeFile(
          join(got, "big.bin.part"),
          data.subarray(0, data.length - 1024 * 1024),
        );
        const { code, screen } = await runP2pOnTerminal(dir, ["get", swarm.torrentPath, "-d", got]);
        const lines = await finalScreen(screen);
        assert.equal(code, 0, lines.join("\n"));
        assert.ok(
          lines.some((line) => /28 of 32 pieces .* already here/.test(line)),
          lines.join("\n"),
        );
        const bar = lines.find((line) => line.startsWith("Downloading ["))!;
        const rate = bar.match(BAR)![4];
        assert.match(rate, /^[\d.]+ (B|KiB)$/, `1 MiB at 256 KiB/s, far below 1 MiB/s: ${bar}`);
      } finally {
        await swarm.stop();
      }
    });
  },
});
