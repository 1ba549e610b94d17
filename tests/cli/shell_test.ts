/** `p2p shell`: the report's interactive client, driven through its standard input. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ebookText } from "../../examples/ebook.ts";
import { parseMagnet } from "../../src/metainfo/mod.ts";
import { freePort, needsTools, withTempDir } from "../helpers.ts";
import {
  type InteractiveP2p,
  runP2pOnTerminal,
  spawnInteractive,
  spawnP2p,
  spawnTracker,
} from "../process_helpers.ts";
import { finalScreen } from "../screen.ts";
import { writeLayout } from "../session/swarm_helpers.ts";

/** Types a command and waits for the output line it should produce. */
async function type(
  shell: InteractiveP2p,
  line: string,
  expect: RegExp,
): Promise<RegExpMatchArray> {
  await shell.send(line);
  return await shell.waitForLine(expect, 20_000);
}

Deno.test("shell: publish, search, fetch, status, bad commands, publish what was fetched, exit", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
    const url = announceUrl.replace(/\/announce$/, "");
    await Deno.mkdir(join(dir, "client1"));
    await Deno.mkdir(join(dir, "client2"));
    await Deno.mkdir(join(dir, "client3"));
    await Deno.writeTextFile(join(dir, "client2", "eBook.txt"), ebookText());
    const client2 = spawnInteractive(dir, "shell", "-t", url, "-d", "client2", "--name", "client2");
    const client1 = spawnInteractive(dir, "shell", "-t", url, "-d", "client1", "--name", "client1");
    const client3 = spawnInteractive(dir, "shell", "-t", url, "-d", "client3", "--name", "client3");
    try {
      await client2.waitForLine(/^p2p shell: client client2 in .*client2, tracker http.*Type help/);
      const [, infoHash] = await type(
        client2,
        "publish eBook.txt",
        /^published eBook\.txt \(([0-9a-f]{40})\); seeding it in the background$/,
      );
      await type(client2, "status", /^eBook\.txt: seeding, \d+ peers?, up/);

      await type(client1, "help", /^ {2}exit {11}leave \(Ctrl-D too\)/);
      await type(
        client1,
        "search ebook",
        new RegExp(`^${infoHash} {2}eBook\\.txt {2}3\\.2 MiB, 1 seeder, 0 leechers$`),
      );
      const [, magnet] = await client1.waitForLine(/^ {2}(magnet:\?\S+)$/);
      assert.equal(parseMagnet(magnet).infoHash.hex, infoHash);
      assert.deepEqual(parseMagnet(magnet).trackerTiers, [[announceUrl]]);
      await type(
        client1,
        "fetch eBook.txt",
        /^fetched .*client1\/eBook\.txt: every piece verified; seeding it now$/,
      );
      assert.equal(await Deno.readTextFile(join(dir, "client1", "eBook.txt")), ebookText());
      assert.ok(
        client1.stdoutLines().some((line) =>
          /^ {2}downloading \d+%: .* of 3\.2 MiB, .*\/s, ETA .*, \d+ peers?$/.test(line)
        ),
        `the fetch shows its rate and ETA:\n${client1.stdoutLines().join("\n")}`,
      );
      // The same file through p2p publish is the same torrent: the catalog has it already.
      const again = spawnP2p(dir, "publish", "eBook.txt", "-t", url, "-d", "client2");
      await again.waitForLine(/^seeding /);
      await again.stop();
      assert.match(
        again.stderr(),
        new RegExp(`eBook\\.txt \\(${infoHash}\\) was already published`),
      );
      // The magnet link from the search, fetched by another client: its metadata from peers.
      await type(client3, `fetch ${magnet}`, /^fetching eBook\.txt \(3\.2 MiB\)$/);
      await client3.waitForLine(/^fetched .*client3\/eBook\.txt: every piece verified/, 20_000);
      assert.equal(await Deno.readTextFile(join(dir, "client3", "eBook.txt")), ebookText());
      await type(client3, "fetch magnet:?xt=urn:btih:12", /^error: an info hash is 40 hex digits/);
      await client3.end();
      // Finished: no download rate in its status.
      await type(
        client1,
        "status",
        /^eBook\.txt: seeding, \d+ peers?, up [\d.]+ [KMG]?i?B\/s \([\d.]+ [KMG]?i?B in all\)$/,
      );
      // search alone lists the whole catalog: one more listing of eBook.txt than before.
      const listed = () =>
        client1.stdoutLines().filter((line) => line.startsWith(`${infoHash}  eBook.txt`)).length;
      const before = listed();
      await client1.send("search");
      for (let i = 0; i < 200 && listed() === before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(listed(), before + 1, "search with no text lists eBook.txt");
      await type(client1, "publish eBook.txt", /^already published: eBook\.txt/);
      await type(client1, "frobnicate", /^error: unknown command "frobnicate" \(try help\)$/);
      await type(client1, "fetch", /^error: fetch needs an argument \(try help\)$/);
      await type(
        client1,
        "publish missing.txt",
        /^error: file not found: missing\.txt \(looked in .*client1\)$/,
      );
      await type(client1, "fetch Moby Dick", /^error: "Moby Dick" not found on tracker http/);
      // By info hash: the catalog's torrent, here one this client seeds already.
      await type(client1, `fetch ${infoHash}`, /^error: eBook\.txt: seeding it already/);
      // Two names that match: listed by info hash, and one of them fetched by it.
      await Deno.writeTextFile(join(dir, "client2", "eBook-notes.txt"), "notes\n".repeat(1000));
      const [, notesHash] = await type(
        client2,
        "publish eBook-notes.txt",
        /^published eBook-notes\.txt \(([0-9a-f]{40})\)/,
      );
      await type(
        client1,
        "fetch eBook",
        /^error: 2 torrents match "eBook"; fetch one by its info hash:$/,
      );
      await client1.waitForLine(new RegExp(`^ {2}${notesHash} {2}eBook-notes\\.txt {2}`));
      await type(
        client1,
        `fetch ${notesHash}`,
        /^fetched .*client1\/eBook-notes\.txt: every piece/,
      );
      assert.equal(
        await Deno.readTextFile(join(dir, "client1", "eBook-notes.txt")),
        "notes\n".repeat(1000),
      );

      await type(client1, "exit", /^bye: every torrent announced stopped$/);
      assert.equal((await client1.child.status).code, 0);
      // SIGTERM (a lab's process manager stopping it): everything announced stopped, exit 143.
      const client4 = spawnInteractive(dir, "shell", "-t", url, "-d", "client3");
      await client4.waitForLine(/^p2p shell: client/);
      assert.equal((await client4.stop("SIGTERM")).code, 143);
      assert.ok(client4.stdoutLines().includes("bye: every torrent announced stopped"));
      assert.match(client4.stderr(), /p2p: interrupted \(SIGTERM\)\n$/);
      await client2.end(); // Ctrl-D
      await client2.waitForLine(/^bye: every torrent announced stopped$/);
      assert.equal((await client2.child.status).code, 0);
      assert.match(
        tracker.stderr(),
        /client1 127\.0\.0\.1:\d+ joined eBook\.txt \[[0-9a-f]{8}\] as leecher/,
      );
      assert.match(tracker.stderr(), /client2 127\.0\.0\.1:\d+ left eBook\.txt/);
      assert.doesNotMatch(client1.stderr() + client2.stderr(), /\n\s+at /, "no stack trace");
    } finally {
      await client1.stop();
      await client2.stop();
      await client3.stop();
      await tracker.stop();
    }
  });
});

Deno.test({
  name: "shell on a terminal: line editing with backspace and the cursor keys, history with up",
  ignore: !needsTools("script"),
  fn: async () => {
    await withTempDir(async (dir) => {
      const BACKSPACE = "\x7f";
      const LEFT = "\x1b[D";
      const UP = "\x1b[A";
      // "hlep" fixed with backspaces; "stats" fixed by moving left and inserting "u";
      // then up twice recalls "help" and runs it again.
      const typed = `hlep${BACKSPACE.repeat(3)}elp\rstats${LEFT}u\r${UP}${UP}\rexit\r`;
      const { code, screen } = await runP2pOnTerminal(
        dir,
        ["shell", "-t", `http://127.0.0.1:${freePort()}`, "-d", "client"],
        typed,
        /p2p> /,
      );
      assert.equal(code, 0, screen);
      assert.equal(
        screen.match(/search \[TEXT\] {2}list the tracker's torrents/g)?.length,
        2,
        screen,
      );
      assert.match(screen, /nothing shared yet/);
      assert.doesNotMatch(screen, /unknown command/);
      assert.match(screen, /bye: every torrent announced stopped/);
    });
  },
});

Deno.test({
  name: "shell on a terminal: Ctrl-C clears the line and keeps the shell, as shells do",
  ignore: !needsTools("script"),
  fn: async () => {
    await withTempDir(async (dir) => {
      const CTRL_C = "\x03";
      // A half-typed line dropped by Ctrl-C, then an empty prompt's Ctrl-C, then a command.
      const typed = `frobni${CTRL_C}${CTRL_C}status\rexit\r`;
      const { code, screen } = await runP2pOnTerminal(
        dir,
        ["shell", "-t", `http://127.0.0.1:${freePort()}`, "-d", "client"],
        typed,
        /p2p> /,
      );
      assert.equal(code, 0, screen);
      assert.equal(screen.match(/\^C \(Ctrl-D or exit to leave\)/g)?.length, 2, screen);
      assert.doesNotMatch(screen, /unknown command/, "the dropped line never ran");
      assert.match(screen, /nothing shared yet/);
      assert.match(screen, /bye: every torrent announced stopped/);
    });
  },
});

Deno.test({
  name: "shell on a terminal: Ctrl-C during a fetch gives the prompt back, the download goes on",
  ignore: !needsTools("script"),
  fn: async () => {
    await withTempDir(async (dir) => {
      const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
      const url = announceUrl.replace(/\/announce$/, "");
      await writeLayout(join(dir, "seeder"), { "big.bin": 4 * 1024 * 1024 });
      // 4 MiB at 512 KiB/s: eight seconds, time for Ctrl-C, a status and Tab completion.
      const seeder = spawnP2p(
        dir,
        "publish",
        "big.bin",
        "-t",
        url,
        "-d",
        "seeder",
        "--max-upload-rate",
        "512K",
      );
      try {
        await seeder.waitForLine(/^seeding /);
        const CTRL_C = "\x03";
        const TAB = "\t";
        const { code, screen } = await runP2pOnTerminal(
          dir,
          ["shell", "-t", url, "-d", "client"],
          [
            // Tab completes the command, then the catalog name.
            [/p2p> /, `fet${TAB}`],
            [/fetch /, `bi${TAB}`],
            [/big\.bin/, "\r"],
            [/downloading \d+%: .*\/s, ETA /, CTRL_C],
            [/goes on downloading in the background/, `stat${TAB}`],
            [/status /, "\r"],
            [/big\.bin: downloading \d+%/, ""],
            [/fetched .*big\.bin: every piece verified/, "exit\r"],
          ],
        );
        const lines = await finalScreen(screen);
        assert.equal(code, 0, lines.join("\n"));
        assert.ok(lines.some((line) => line === "p2p> fetch big.bin"), lines.join("\n"));
        assert.ok(
          lines.some((line) => /^big\.bin: downloading \d+%: .* of 4 MiB, .*, ETA /.test(line)),
          lines.join("\n"),
        );
        assert.equal(
          await Deno.readFile(join(dir, "client", "big.bin")).then((data) => data.length),
          4 * 1024 * 1024,
        );
        assert.match(screen, /bye: every torrent announced stopped/);
      } finally {
        await seeder.stop();
        await tracker.stop();
      }
    });
  },
});

Deno.test("shell --json: one JSON object a line for each result, errors included", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
    const url = announceUrl.replace(/\/announce$/, "");
    await Deno.mkdir(join(dir, "a"));
    await Deno.mkdir(join(dir, "b"));
    await Deno.writeTextFile(join(dir, "a", "notes.txt"), "notes\n".repeat(5000));
    const a = spawnInteractive(dir, "shell", "-t", url, "-d", "a", "--json");
    const b = spawnInteractive(dir, "shell", "-t", url, "-d", "b", "--json");
    const object = async (shell: InteractiveP2p, key: string) =>
      JSON.parse((await shell.waitForLine(new RegExp(`^\\{"${key}":.*\\}$`), 20_000))[0]);
    try {
      assert.equal((await object(a, "shell")).tracker, url);
      await a.send("publish notes.txt");
      const published = await object(a, "published");
      assert.deepEqual(Object.keys(published), ["published", "infoHash", "added"]);
      await b.send("search notes");
      const { results } = await object(b, "results");
      assert.equal(results[0].infoHash, published.infoHash);
      await b.send("fetch notes.txt");
      assert.equal((await object(b, "fetching")).size, 30_000);
      assert.equal((await object(b, "fetched")).fetched, join(dir, "b", "notes.txt"));
      await b.send("status");
      const { torrents } = await object(b, "torrents");
      assert.equal(torrents[0].state, "seeding");
      assert.equal(torrents[0].left, 0);
      await b.send("frobnicate");
      assert.equal((await object(b, "error")).error, 'unknown command "frobnicate" (try help)');
      await b.send("exit");
      await object(b, "bye");
      // Nothing on stdout but JSON.
      for (const line of b.stdoutLines().filter((text) => text !== "")) JSON.parse(line);
    } finally {
      await a.stop();
      await b.stop();
      await tracker.stop();
    }
  });
});
