/** The daemon's JSON API over real HTTP on loopback: bad input, downloads, pause, remove, events. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { publishTorrent } from "../../src/tracker/mod.ts";
import { testBytes } from "../helpers.ts";
import { withTracker } from "../tracker/tracker_helpers.ts";
import {
  magnetOf,
  makeTorrent,
  seededPack,
  startSeed,
  waitFor,
  withDaemon,
} from "./daemon_helpers.ts";

const UNKNOWN = "0123456789abcdef0123456789abcdef01234567";

Deno.test("daemon API: bad input gets a 4xx and one clear {error}", async () => {
  await withDaemon(async (daemon) => {
    const json = { "Content-Type": "application/json" };
    const cases: [string, string, string, unknown, Record<string, string>, number, RegExp][] = [
      ["malformed JSON", "POST", "/torrents", "{nope", json, 400, /malformed JSON/],
      ["JSON not an object", "POST", "/torrents", "[1]", json, 400, /must be an object/],
      ["no content type", "POST", "/torrents", "x", {}, 400, /JSON body/],
      ["nothing to add", "POST", "/torrents", {}, {}, 400, /give "source"/],
      ["bad magnet", "POST", "/torrents", { source: "magnet:?xt=urn:btih:xyz" }, {}, 400, /./],
      [
        "magnet selecting files",
        "POST",
        "/torrents",
        {
          source: `magnet:?xt=urn:btih:${UNKNOWN}&so=0`,
        },
        {},
        400,
        /selects files/,
      ],
      ["a local path", "POST", "/torrents", { source: "/etc/passwd" }, {}, 400, /magnet link/],
      [
        "directory not text",
        "POST",
        "/torrents",
        { source: UNKNOWN, directory: 5 },
        {},
        400,
        /directory/,
      ],
      ["catalog name without tracker", "POST", "/torrents", { name: "x" }, {}, 400, /"tracker"/],
      [
        "catalog on a dead tracker",
        "POST",
        "/torrents",
        {
          name: "x",
          tracker: "http://127.0.0.1:1",
        },
        {},
        502,
        /unreachable/,
      ],
      ["unknown torrent", "GET", `/torrents/${UNKNOWN}`, undefined, {}, 404, /no torrent/],
      ["not a hash", "GET", "/torrents/xyz", undefined, {}, 404, /40 hex digits/],
      ["unknown pieces", "GET", `/torrents/${UNKNOWN}/pieces`, undefined, {}, 404, /no torrent/],
      ["unknown pause", "POST", `/torrents/${UNKNOWN}/pause`, undefined, {}, 404, /no torrent/],
      ["unknown resume", "POST", `/torrents/${UNKNOWN}/resume`, undefined, {}, 404, /no torrent/],
      ["unknown remove", "DELETE", `/torrents/${UNKNOWN}`, undefined, {}, 404, /no torrent/],
      [
        "deleteData not a boolean",
        "DELETE",
        `/torrents/${UNKNOWN}?deleteData=yes`,
        undefined,
        {},
        400,
        /deleteData/,
      ],
      ["no such call", "GET", "/nothing", undefined, {}, 404, /no such API call/],
      [
        "publish without a path",
        "POST",
        "/publish",
        { tracker: "http://127.0.0.1:1" },
        {},
        400,
        /"path"/,
      ],
      [
        "publish a missing file",
        "POST",
        "/publish",
        {
          path: "nope.txt",
          tracker: "http://127.0.0.1:1",
        },
        {},
        400,
        /file not found: nope\.txt/,
      ],
    ];
    for (const [what, method, path, body, headers, status, message] of cases) {
      const answer = await daemon.call(method, path, body, headers);
      assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
      assert.equal(typeof answer.json.error, "string", what);
      assert.match(answer.json.error as string, message, what);
      assert.doesNotMatch(answer.json.error as string, /\n\s+at /, `${what}: no stack trace`);
    }

    const broken = await fetch(`${daemon.base}/api/torrents`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${daemon.token}`,
        "Content-Type": "multipart/form-data",
      },
      body: "no boundary anywhere",
    });
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).error, /multipart/);

    const notATorrent = new FormData();
    notATorrent.append("torrent", new File(["d4:spam"], "x.torrent"));
    const refused = await daemon.call("POST", "/torrents", notATorrent);
    assert.equal(refused.status, 400);
    assert.match(refused.json.error as string, /./);
    const noFile = new FormData();
    noFile.append("directory", "x");
    assert.equal((await daemon.call("POST", "/torrents", noFile)).status, 400);
    assert.deepEqual((await daemon.call("GET", "/torrents")).json.torrents, []);
  });
});

Deno.test("daemon API: download by magnet, by catalog name and by upload; pause, resume, remove; events", async () => {
  await withTracker({}, async (tracker) => {
    await withDaemon(async (daemon, dir) => {
      const announce = [tracker.announceUrl];
      const origin = join(dir, "origin");
      const one = await makeTorrent(origin, "one.bin", testBytes(200_000, 1), announce);
      const two = await makeTorrent(origin, "two", {
        "a/x.bin": testBytes(70_000, 2),
        "b.bin": testBytes(50_000, 3),
      }, announce);
      const three = await makeTorrent(origin, "three.bin", testBytes(40_000, 4), announce);
      await publishTorrent(tracker.base, two.bytes);
      const seeds = await Promise.all(
        [one, two, three].map(({ metainfo }) => startSeed(metainfo, origin)),
      );
      try {
        const added = await daemon.call("POST", "/torrents", {
          source: magnetOf(one.metainfo.infoHash.hex, tracker.announceUrl),
        });
        assert.equal(added.status, 201, JSON.stringify(added.json));
        const byName = await daemon.call("POST", "/torrents", {
          name: "two",
          tracker: tracker.base,
          directory: "named",
        });
        assert.equal(byName.status, 201, JSON.stringify(byName.json));
        const form = new FormData();
        form.append("torrent", new File([three.bytes.slice()], "three.torrent"));
        const uploaded = await daemon.call("POST", "/torrents", form);
        assert.equal(uploaded.status, 201, JSON.stringify(uploaded.json));
        const again = await daemon.call("POST", "/torrents", form);
        assert.equal(again.status, 200);
        assert.equal(again.json.existing, true);

        const list = async () =>
          (await daemon.call("GET", "/torrents")).json.torrents as Record<string, unknown>[];
        await waitFor(
          "three torrents seeding",
          async () => (await list()).every((torrent) => torrent.state === "seeding"),
        );
        const torrents = await list();
        assert.deepEqual(torrents.map((torrent) => torrent.name), ["one.bin", "two", "three.bin"]);
        for (const torrent of torrents) {
          assert.equal(torrent.progress, 1);
          assert.equal(torrent.verifiedBytes, torrent.size);
          assert.equal(torrent.eta, null);
        }
        const downloads = join(dir, "downloads");
        assert.deepEqual(await Deno.readFile(join(downloads, "one.bin")), testBytes(200_000, 1));
        assert.deepEqual(
          await Deno.readFile(join(downloads, "named", "two", "a", "x.bin")),
          testBytes(70_000, 2),
        );

        const hash = one.metainfo.infoHash.hex;
        const detail = await daemon.call("GET", `/torrents/${hash.toUpperCase()}`);
        assert.equal(detail.status, 200);
        assert.deepEqual((detail.json.torrent as { files: unknown }).files, [
          { path: "one.bin", length: 200_000, selected: true },
        ]);
        const pieces = (await daemon.call("GET", `/torrents/${hash}/pieces`)).json as {
          pieceCount: number;
          owners: string;
          onDisk: number;
          peers: { owner: number; address: string; pieces: number }[];
        };
        assert.equal(pieces.pieceCount, one.metainfo.pieceCount);
        const owners = Uint8Array.from(atob(pieces.owners), (c) => c.charCodeAt(0));
        assert.equal(owners.length, pieces.pieceCount);
        assert.equal(pieces.onDisk, 0);
        assert.equal(pieces.peers.length, 1);
        assert.equal(pieces.peers[0].address, `127.0.0.1:${seeds[0].port}`);
        assert.equal(pieces.peers[0].pieces, pieces.pieceCount);
        assert.ok(owners.every((owner) => owner === pieces.peers[0].owner));

        // Pause: out of the swarm (the tracker hears `stopped`), its verified state kept.
        const paused = await daemon.call("POST", `/torrents/${hash}/pause`);
        assert.equal((paused.json.torrent as { state: string }).state, "paused");
        assert.equal((paused.json.torrent as { peers: number }).peers, 0);
        assert.equal((paused.json.torrent as { progress: number }).progress, 1);
        await waitFor(
          "the tracker to hear stopped",
          () => tracker.logLines.some((line) => line.endsWith(`left [${hash.slice(0, 8)}]`)),
        );
        const resumed = await daemon.call("POST", `/torrents/${hash}/resume`);
        assert.equal(resumed.status, 200);
        await waitFor(
          "one.bin seeding again",
          async () =>
            (await list()).find((torrent) => torrent.infoHash === hash)?.state === "seeding",
        );
        const rechecked = (await daemon.call("GET", `/torrents/${hash}/pieces`)).json;
        assert.equal(rechecked.onDisk, 0, "the pieces' senders survive a pause");

        // Events: the list, about once a second.
        const events = await fetch(`${daemon.base}/api/events`, {
          headers: { Authorization: `Bearer ${daemon.token}` },
        });
        assert.equal(events.headers.get("content-type"), "text/event-stream");
        const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!/event: session\ndata: .*\n\n/.test(text)) text += (await reader.read()).value;
        await reader.cancel();
        const data = /event: torrents\ndata: (.*)\n/.exec(text)![1];
        assert.equal(JSON.parse(data).torrents.length, 3);

        // Remove with data: its files and folders go; a stranger's file beside them stays.
        const named = join(downloads, "named");
        await Deno.writeTextFile(join(named, "two", "mine.txt"), "not the torrent's");
        const twoHash = two.metainfo.infoHash.hex;
        const removed = await daemon.call("DELETE", `/torrents/${twoHash}?deleteData=true`);
        assert.equal(removed.status, 200);
        assert.equal(removed.json.deletedFiles, 2);
        assert.deepEqual(
          [...Deno.readDirSync(join(named, "two"))].map((entry) => entry.name),
          ["mine.txt"],
        );
        const kept = await daemon.call("DELETE", `/torrents/${three.metainfo.infoHash.hex}`);
        assert.equal(kept.json.deletedFiles, 0);
        assert.ok(await Deno.stat(join(downloads, "three.bin")));
        assert.deepEqual((await list()).map((torrent) => torrent.name), ["one.bin"]);
        assert.equal((await daemon.call("GET", `/torrents/${twoHash}`)).status, 404);
        const session = (await daemon.call("GET", "/session")).json;
        assert.equal(session.torrents, 1);
        assert.equal(session.version, "0.1.0");
        assert.equal(session.webPort, daemon.port);
      } finally {
        await Promise.all(seeds.map((seed) => seed.close()));
      }
    });
  });
});

Deno.test("daemon API: publish makes the torrent, publishes it to the catalog and seeds it", async () => {
  await withTracker({}, async (tracker) => {
    await withDaemon(async (daemon, dir) => {
      const downloads = join(dir, "downloads");
      await Deno.writeFile(join(downloads, "report.pdf"), testBytes(50_000, 12));
      const published = await daemon.call("POST", "/publish", {
        path: "report.pdf",
        tracker: tracker.base,
      });
      assert.equal(published.status, 201, JSON.stringify(published.json));
      assert.equal(published.json.published, true);
      assert.equal(published.json.torrentFile, join(downloads, "report.pdf.torrent"));
      const torrent = published.json.torrent as { infoHash: string; name: string };
      assert.equal(torrent.name, "report.pdf");
      const found = await (await fetch(`${tracker.base}/torrents?q=report`)).json();
      assert.deepEqual(found.map((entry: { infoHash: string }) => entry.infoHash), [
        torrent.infoHash,
      ]);
      await waitFor(
        "report.pdf seeding",
        async () =>
          ((await daemon.call("GET", `/torrents/${torrent.infoHash}`)).json.torrent as {
            state: string;
          }).state === "seeding",
      );
      const pieces = (await daemon.call("GET", `/torrents/${torrent.infoHash}/pieces`)).json;
      assert.equal(pieces.onDisk, pieces.pieceCount);

      // Out and back in through the catalog's URL of its .torrent.
      assert.equal((await daemon.call("DELETE", `/torrents/${torrent.infoHash}`)).status, 200);
      const byUrl = await daemon.call("POST", "/torrents", {
        source: `${tracker.base}/torrents/${torrent.infoHash}.torrent`,
      });
      assert.equal(byUrl.status, 201, JSON.stringify(byUrl.json));
      assert.equal((byUrl.json.torrent as { infoHash: string }).infoHash, torrent.infoHash);
      await waitFor(
        "report.pdf seeding from its URL",
        async () =>
          ((await daemon.call("GET", `/torrents/${torrent.infoHash}`)).json.torrent as {
            state: string;
          }).state === "seeding",
      );
      const missing = await daemon.call("POST", "/torrents", {
        source: `${tracker.base}/torrents/${"ef".repeat(20)}.torrent`,
      });
      assert.equal(missing.status, 502);
      assert.match(missing.json.error as string, /HTTP 404/);

      const again = await daemon.call("POST", "/publish", {
        path: "report.pdf",
        tracker: tracker.base,
      });
      assert.equal(again.json.published, false, "the catalog had it already");
      const refused = await daemon.call("POST", "/publish", {
        path: "report.pdf",
        tracker: "http://127.0.0.1:1",
      });
      assert.equal(refused.status, 502);
      assert.match(refused.json.error as string, /unreachable/);
    });
  });
});

Deno.test("daemon API: a torrent that cannot start shows state error with its reason; resume retries", async () => {
  await withDaemon(async (daemon, dir) => {
    const { bytes, metainfo } = await makeTorrent(
      join(dir, "origin"),
      "x.bin",
      testBytes(20_000, 13),
      [
        "http://127.0.0.1:1/announce",
      ],
    );
    // Its directory is a file: nothing can be opened there.
    await Deno.writeTextFile(join(dir, "downloads", "occupied"), "a file");
    const form = new FormData();
    form.append("torrent", new File([bytes.slice()], "x.torrent"));
    form.append("directory", "occupied");
    assert.equal((await daemon.call("POST", "/torrents", form)).status, 201);
    const hash = metainfo.infoHash.hex;
    const view = async () =>
      (await daemon.call("GET", `/torrents/${hash}`)).json.torrent as {
        state: string;
        error?: string;
      };
    await waitFor("state error", async () => (await view()).state === "error");
    assert.match((await view()).error!, /occupied/);
    // The way cleared, resume starts it again (and it checks the data it now finds).
    await Deno.remove(join(dir, "downloads", "occupied"));
    await Deno.mkdir(join(dir, "downloads", "occupied"));
    await Deno.copyFile(join(dir, "origin", "x.bin"), join(dir, "downloads", "occupied", "x.bin"));
    await daemon.call("POST", `/torrents/${hash}/resume`);
    await waitFor("seeding after the retry", async () => (await view()).state === "seeding");
    assert.equal((await view()).error, undefined);
  });
});

Deno.test("daemon API: choose files at add and later: only those are written, widening fetches the rest", async () => {
  await withTracker({}, async (tracker) => {
    await withDaemon(async (daemon, dir) => {
      const { contents, hash, client: seed } = await seededPack(
        join(dir, "origin"),
        tracker.announceUrl,
        5,
      );
      try {
        const source = magnetOf(hash, tracker.announceUrl);
        const bad = await daemon.call("POST", "/torrents", { source, files: [] });
        assert.equal(bad.status, 400, JSON.stringify(bad.json));
        const added = await daemon.call("POST", "/torrents", { source, files: [1] });
        assert.equal(added.status, 201, JSON.stringify(added.json));
        const detail = async () =>
          (await daemon.call("GET", `/torrents/${hash}`)).json.torrent as {
            state: string;
            progress: number;
            selectedSize: number | null;
            files: { path: string; selected: boolean }[];
          };
        await waitFor("the middle file complete", async () => (await detail()).state === "seeding");
        const chosen = await detail();
        assert.equal(chosen.progress, 1);
        // The pieces b.bin (bytes 30,000 to 59,999) touches: 1, 2 and 3, of 16 KiB each.
        assert.equal(chosen.selectedSize, 3 * 16 * 1024);
        assert.deepEqual(chosen.files.map((file) => file.selected), [false, true, false]);
        const folder = join(dir, "downloads", "pack");
        const names = async () => {
          const found = [];
          for await (const entry of Deno.readDir(folder)) found.push(entry.name);
          return found.sort();
        };
        assert.deepEqual((await names()).filter((name) => !name.startsWith(".")), ["b.bin"]);
        assert.deepEqual(await Deno.readFile(join(folder, "b.bin")), contents[1]);

        for (const files of [[], [3], [-1], "all", [0.5]]) {
          const refused = await daemon.call("PUT", `/torrents/${hash}/files`, { files });
          assert.equal(refused.status, 400, `${JSON.stringify(files)}: ${refused.status}`);
        }
        const unknown = await daemon.call("PUT", `/torrents/${UNKNOWN}/files`, { files: [0] });
        assert.equal(unknown.status, 404);
        const widened = await daemon.call("PUT", `/torrents/${hash}/files`, { files: [0, 1, 2] });
        assert.equal(widened.status, 200, JSON.stringify(widened.json));
        await waitFor("every file complete", async () => {
          const now = await detail();
          const all = (await names()).filter((name) => !name.startsWith("."));
          return now.state === "seeding" && all.join() === "a.bin,b.bin,c.bin";
        });
        assert.equal((await detail()).selectedSize, null);
        for (const [index, name] of ["a.bin", "b.bin", "c.bin"].entries()) {
          assert.deepEqual(await Deno.readFile(join(folder, name)), contents[index]);
        }
      } finally {
        await seed.close();
      }
    });
  });
});
