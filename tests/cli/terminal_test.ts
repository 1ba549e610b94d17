import assert from "node:assert/strict";
import type { CliEnv } from "../../src/cli/env.ts";
import { Terminal } from "../../src/cli/terminal.ts";
import { finalScreen } from "../screen.ts";

/** A terminal `columns` wide whose output is kept, on a clock the test moves. */
function fakeTerminal(columns = 80, interactive = true) {
  let output = "";
  let now = 0;
  const env = {
    args: [],
    cwd: "/",
    stdout: { write() {} },
    stderr: { write: (text: string) => (output += text) },
    interactive,
    now: () => new Date(0),
    stopRequested: () => new AbortController().signal,
  } satisfies CliEnv;
  const terminal = new Terminal(env, () => now, () => columns);
  return {
    terminal,
    output: () => output,
    advanceClock: (ms: number) => (now += ms),
  };
}

Deno.test("terminal: lines said while a bar is drawn land above it, and the bar ends at 100 %", async () => {
  const { terminal, output, advanceClock } = fakeTerminal();
  const bar = await terminal.bar("Downloading", 4 * 1024 * 1024, false);
  terminal.line("[2/4] Connecting to peers (listening on port 6881)");
  for (let i = 0; i < 4; i++) {
    advanceClock(250);
    bar.advance(1024 * 1024);
    terminal.line(`piece ${i} from 127.0.0.1:${6000 + i}`);
  }
  bar.stop();
  terminal.line("[4/4] Verified all 4 pieces");
  terminal.line("p2p: done");
  const screen = await finalScreen(output());
  assert.deepEqual(screen.slice(0, 5), [
    "[2/4] Connecting to peers (listening on port 6881)",
    "piece 0 from 127.0.0.1:6000",
    "piece 1 from 127.0.0.1:6001",
    "piece 2 from 127.0.0.1:6002",
    "piece 3 from 127.0.0.1:6003",
  ]);
  assert.match(screen[5], /^Downloading \[█{30}\] 100% 4 MiB\/4 MiB 4 MiB\/s ETA 0s$/);
  assert.deepEqual(screen.slice(6), ["[4/4] Verified all 4 pieces", "p2p: done"]);
});

Deno.test("terminal: the rate leaves out bytes that were already on disk", async () => {
  const { terminal, output, advanceClock } = fakeTerminal();
  const gib = 1024 ** 3;
  const bar = await terminal.bar("Downloading", 3 * gib, false, { already: 2 * gib });
  advanceClock(2000);
  bar.advance(2 * 1024 * 1024);
  const screen = await finalScreen(output());
  // 2 MiB in 2 s: 1 MiB/s, not the 2 GiB found on disk; 1 GiB left at that rate.
  assert.match(screen.at(-1)!, / 66% 2\.0 GiB\/3 GiB 1 MiB\/s ETA 17m\d\d?s$/);
  bar.stop();
});

Deno.test("terminal: the ETA is a question mark until data arrives, never INF or NULL", async () => {
  const { terminal, output, advanceClock } = fakeTerminal();
  const bar = await terminal.bar("Downloading", 1024, false);
  advanceClock(5000);
  terminal.line("still nothing");
  const screen = await finalScreen(output());
  assert.equal(
    screen.at(-1),
    `Downloading [${"░".repeat(30)}] 0% 0 B/1 KiB 0 B/s ETA ?`,
  );
  assert.doesNotMatch(output(), /INF|NULL/);
  bar.stop();
});

Deno.test("terminal: a live line wider than the terminal is cut, so redraws never wrap", async () => {
  const { terminal, output } = fakeTerminal(40);
  const stop = terminal.status(
    () => "seeding 12 torrents to 340 peers, up 12.5 MiB/s, 1.2 TiB served",
    false,
  );
  terminal.line("a line");
  terminal.line("another line");
  stop();
  terminal.line("after");
  const screen = await finalScreen(output(), 40);
  assert.deepEqual(screen, ["a line", "another line", "after"]);
  assert.ok(
    output().split("\r\x1b[2K").every((drawn) => [...drawn.replace(/\n.*/s, "")].length < 40),
  );
});

Deno.test("terminal: off a terminal, bars draw nothing and lines are plain", async () => {
  const { terminal, output } = fakeTerminal(80, false);
  const bar = await terminal.bar("Downloading", 1024, false);
  bar.advance(1024);
  terminal.line("[4/4] done");
  bar.stop();
  assert.equal(output(), "[4/4] done\n");
});
