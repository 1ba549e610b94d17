/** `p2p publish` and `p2p fetch`: the report's workflow, and every way it can go wrong. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMagnet } from "../../src/metainfo/mod.ts";
import { freePort, needsTools, withTempDir } from "../helpers.ts";
import { runP2pOnTerminal, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { finalScreen } from "../screen.ts";
import { writeLayout } from "../session/swarm_helpers.ts";

async function exitOf(dir: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  const process = spawnP2p(dir, ...args);
  const status = await process.child.status;
  await process.stop();
  return { code: status.code, stderr: process.stderr() };
}

Deno.test("publish and fetch: found, ambiguous, not found, refused and unreachable", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(
      dir,
      join(dir, "tracker"),
      "--publish-token",
      "t0k",
    );
    const url = announceUrl.replace(/\/announce$/, "");
    const publishers = [];
    try {
      await writeLayout(join(dir, "client2"), { "eBook.txt": 300_000, "eBook-notes.txt": 1000 });

      const missing = await exitOf(
        dir,
        "publish",
        "nope.txt",
        "-t",
        url,
        "-d",
        "client2",
        "--token",
        "t0k",
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^p2p: file not found: nope\.txt \(looked in .*client2\)\n$/);

      const refused = await exitOf(dir, "publish", "eBook.txt", "-t", url, "-d", "client2");
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^p2p: tracker refused: publishing needs the tracker's token\n$/,
      );

      const dead = `http://127.0.0.1:${freePort()}`;
      const unreachable = await exitOf(
        dir,
        "publish",
        "eBook.txt",
        "-t",
        dead,
        "-d",
        "client2",
        "--token",
        "t0k",
      );
      assert.equal(unreachable.code, 1);
      assert.match(
        unreachable.stderr,
        new RegExp(`^p2p: tracker ${dead}/torrents unreachable: connection refused`),
      );

      // Its port taken: it fails before publishing, so the catalog lists nothing nobody seeds.
      const squatter = Deno.listen({ hostname: "0.0.0.0", port: 0 });
      try {
        const taken = await exitOf(
          dir,
          "publish",
          "eBook.txt",
          "-t",
          url,
          "-d",
          "client2",
          "--token",
          "t0k",
          "-p",
          String(squatter.addr.port),
        );
        assert.equal(taken.code, 1);
        assert.match(taken.stderr, new RegExp(`^p2p: .*${squatter.addr.port}.* in use`));
        const catalog = await (await fetch(`${url}/torrents`)).json();
        assert.deepEqual(catalog.torrents ?? catalog, [], "nothing was published");
      } finally {
        squatter.close();
      }

      for (const file of ["eBook.txt", "eBook-notes.txt"]) {
        const publisher = spawnP2p(
          dir,
          "publish",
          file,
          "-t",
          url,
          "-d",
          "client2",
          "--token",
          "t0k",
          "--name",
          "client2",
        );
        publishers.push(publisher);
        await publisher.waitForLine(/^seeding /);
      }

      const fetched = spawnP2p(
        dir,
        "fetch",
        "eBook.txt",
        "-t",
        url,
        "-d",
        "client1",
        "--name",
        "client1",
      );
      assert.equal((await fetched.child.status).code, 0, fetched.stderr());
      await fetched.stop();
      assert.deepEqual(fetched.stdoutLines(), ["client1/eBook.txt"]);
      assert.deepEqual(
        await Deno.readFile(join(dir, "client1", "eBook.txt")),
        await Deno.readFile(join(dir, "client2", "eBook.txt")),
      );
      assert.match(tracker.stderr(), /client1 127\.0\.0\.1:\d+ joined eBook\.txt/);

      const ambiguous = await exitOf(dir, "fetch", "eBook", "-t", url, "-d", "client3");
      assert.equal(ambiguous.code, 1);
      assert.match(ambiguous.stderr, /^2 torrents match "eBook":\n {2}1\. [0-9a-f]{40} {2}eBook/);
      assert.match(
        ambiguous.stderr,
        /\np2p: several torrents match "eBook": choose one with --infohash\n$/,
      );

      const hash = /([0-9a-f]{40}) {2}eBook-notes\.txt/.exec(ambiguous.stderr)![1];
      const listed = [...ambiguous.stderr.matchAll(/^ {2}\d\. ([0-9a-f]{40}) .*\n {5}(\S+)$/gm)];
      assert.equal(listed.length, 2, ambiguous.stderr);
      for (const [, infoHash, magnet] of listed) {
        assert.equal(parseMagnet(magnet).infoHash.hex, infoHash);
        assert.deepEqual(parseMagnet(magnet).trackerTiers, [[announceUrl]]);
      }
      const chosen = await exitOf(
        dir,
        "fetch",
        "eBook",
        "-t",
        url,
        "-d",
        "client3",
        "--infohash",
        hash,
        "-q",
      );
      assert.equal(chosen.code, 0, chosen.stderr);
      assert.equal((await Deno.stat(join(dir, "client3", "eBook-notes.txt"))).size, 1000);

      const unknown = await exitOf(dir, "fetch", "Moby Dick", "-t", url, "-d", "client3");
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, `p2p: "Moby Dick" not found on tracker ${url}\n`);
    } finally {
      await Promise.all(publishers.map((publisher) => publisher.stop()));
      await tracker.stop();
    }
  });
});

Deno.test({
  name: "fetch on a terminal asks which of several matches, then draws the download bar",
  ignore: !needsTools("script"),
  fn: async () => {
    await withTempDir(async (dir) => {
      const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
      const url = announceUrl.replace(/\/announce$/, "");
      const publishers = [];
      try {
        await writeLayout(join(dir, "client2"), {
          "eBook.txt": 4_000_000,
          "eBook-notes.txt": 1000,
        });
        for (const file of ["eBook.txt", "eBook-notes.txt"]) {
          const publisher = spawnP2p(dir, "publish", file, "-t", url, "-d", "client2");
          publishers.push(publisher);
          await publisher.waitForLine(/^seeding /);
        }
        const fetchArgs = ["fetch", "eBook", "-t", url, "-d", "client1"];

        const wrong = await runP2pOnTerminal(dir, fetchArgs, "7\n");
        assert.equal(wrong.code, 1, wrong.screen);
        assert.match(wrong.screen, /Which one \(1-2\)\?/);
        assert.match(wrong.screen, /p2p: "7" is not one of 1-2/);

        // The list is newest first; pick the big file by its number there.
        const number = /(\d)\. [0-9a-f]{40} {2}eBook\.txt/.exec(wrong.screen)![1];
        const fetched = await runP2pOnTerminal(dir, fetchArgs, `${number}\n`);
        assert.equal(fetched.code, 0, fetched.screen);
        assert.match(fetched.screen, /found eBook\.txt /);
        // The final screen, as the terminal draws it: one bar, at 100 %, under whole step lines.
        const lines = await finalScreen(fetched.screen);
        const bars = lines.filter((line) => line.startsWith("Downloading ["));
        assert.equal(bars.length, 1, lines.join("\n"));
        assert.match(bars[0], /\] 100% 3\.8 MiB\/3\.8 MiB /);
        assert.ok(lines.every((line) => line === bars[0] || !/[█░]/.test(line)), lines.join("\n"));
        assert.ok(lines.some((line) => line.startsWith("[4/4] Verified all")), lines.join("\n"));
        assert.deepEqual(
          await Deno.readFile(join(dir, "client1", "eBook.txt")),
          await Deno.readFile(join(dir, "client2", "eBook.txt")),
        );
      } finally {
        await Promise.all(publishers.map((publisher) => publisher.stop()));
        await tracker.stop();
      }
    });
  },
});

Deno.test("tracker, publish and seed --json: one JSON line per event on stdout, for scripts", async () => {
  await withTempDir(async (dir) => {
    const tracker = spawnP2p(dir, "tracker", "-p", "0", "-d", "tracker", "--json", "-q");
    const processes = [tracker];
    try {
      const [line] = await tracker.waitForLine(/^\{.*\}$/);
      const { listening } = JSON.parse(line);
      assert.match(listening.http, /^http:\/\/127\.0\.0\.1:\d+\/announce$/);
      assert.match(listening.udp, /^udp:\/\/127\.0\.0\.1:\d+\/announce$/);
      const url = listening.http.replace(/\/announce$/, "");
      await writeLayout(join(dir, "share"), { "notes.txt": 50_000 });
      const publisher = spawnP2p(dir, "publish", "notes.txt", "-t", url, "-d", "share", "--json");
      processes.push(publisher);
      const [publishedLine] = await publisher.waitForLine(/^\{.*"published".*\}$/);
      const published = JSON.parse(publishedLine);
      assert.equal(published.published, "notes.txt");
      assert.equal(published.added, true);
      assert.match(published.infoHash, /^[0-9a-f]{40}$/);
      const [seedingLine] = await publisher.waitForLine(/^\{.*"seeding".*\}$/);
      assert.deepEqual(Object.keys(JSON.parse(seedingLine)), ["seeding", "infoHash", "port"]);
      const seeder = spawnP2p(dir, "seed", published.torrentPath, "-d", "share", "--json");
      processes.push(seeder);
      const [seeded] = await seeder.waitForLine(/^\{.*"seeding".*\}$/);
      assert.equal(JSON.parse(seeded).infoHash, published.infoHash);
      assert.ok(seeder.stdoutLines().every((out) => out === "" || JSON.parse(out)));
    } finally {
      for (const process of processes) await process.stop();
    }
  });
});
