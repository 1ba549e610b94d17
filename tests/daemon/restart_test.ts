/** The daemon's state across restarts, hostile names, and a taken web port. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { StateStore } from "../../src/daemon/mod.ts";
import type { Metainfo } from "../../src/metainfo/mod.ts";
import { runP2p, testBytes, withTempDir } from "../helpers.ts";
import { withTracker } from "../tracker/tracker_helpers.ts";
import {
  magnetOf,
  makeTorrent,
  startSeed,
  startTestDaemon,
  type TestDaemon,
  waitFor,
  withDaemon,
} from "./daemon_helpers.ts";

type Listed = { infoHash: string; name: string; state: string; progress: number };

/** Adds each torrent to `daemon` by its magnet link and waits until all of them seed. */
async function addAndSeed(
  daemon: TestDaemon,
  tracker: string,
  torrents: readonly { metainfo: Metainfo }[],
): Promise<void> {
  for (const { metainfo } of torrents) {
    const magnet = magnetOf(metainfo.infoHash.hex, tracker);
    assert.equal((await daemon.call("POST", "/torrents", { source: magnet })).status, 201);
  }
  await waitFor(
    "all seeding",
    async () =>
      ((await daemon.call("GET", "/torrents")).json.torrents as Listed[])
        .every((torrent) => torrent.state === "seeding"),
  );
}

Deno.test("daemon restart: the same torrents, paused ones still paused, the others seeding from disk", async () => {
  await withTracker({}, async (tracker) => {
    await withTempDir(async (dir) => {
      const announce = [tracker.announceUrl];
      const origin = join(dir, "origin");
      const kept = await makeTorrent(origin, "kept.bin", testBytes(100_000, 5), announce);
      const idle = await makeTorrent(origin, "idle.bin", testBytes(60_000, 6), announce);
      const seeds = await Promise.all(
        [kept, idle].map(({ metainfo }) => startSeed(metainfo, origin)),
      );
      const state = join(dir, "state");
      const downloads = join(dir, "downloads");
      try {
        const first = await startTestDaemon(state, downloads);
        let token: string;
        try {
          token = first.token;
          await addAndSeed(first, tracker.announceUrl, [kept, idle]);
          await first.call("POST", `/torrents/${idle.metainfo.infoHash.hex}/pause`);
          // Saved at every change: the magnet links now stand as .torrents, one paused.
          const saved = await new StateStore(state).load();
          assert.deepEqual(saved.map((torrent) => [torrent.infoHash, torrent.paused]), [
            [kept.metainfo.infoHash.hex, false],
            [idle.metainfo.infoHash.hex, true],
          ]);
          assert.ok(saved.every((torrent) => torrent.torrent && !torrent.magnet));
        } finally {
          await first.close();
        }
        // The seeds go: whatever completes now comes from the disk.
        await Promise.all(seeds.map((seed) => seed.close()));
        const second = await startTestDaemon(state, downloads);
        try {
          assert.equal(second.token, token, "the token survives a restart");
          await waitFor(
            "kept.bin seeding from disk",
            async () =>
              ((await second.call("GET", "/torrents")).json.torrents as Listed[])[0].state ===
                "seeding",
          );
          const listed = (await second.call("GET", "/torrents")).json.torrents as Listed[];
          assert.deepEqual(
            listed.map((torrent) => [torrent.name, torrent.state, torrent.progress]),
            [
              ["kept.bin", "seeding", 1],
              ["idle.bin", "paused", 1],
            ],
          );
          const pieces =
            (await second.call("GET", `/torrents/${kept.metainfo.infoHash.hex}/pieces`))
              .json;
          assert.equal(pieces.onDisk, kept.metainfo.pieceCount, "found on disk at start");
          await second.call("POST", `/torrents/${idle.metainfo.infoHash.hex}/resume`);
          await waitFor(
            "idle.bin resumed from disk",
            async () =>
              ((await second.call("GET", "/torrents")).json.torrents as Listed[])[1].state ===
                "seeding",
          );
        } finally {
          await second.close();
        }
      } finally {
        await Promise.all(seeds.map((seed) => seed.close()));
      }
    });
  });
});

Deno.test("daemon restart: files as they were closed are trusted without a recheck; a file changed meanwhile is rechecked", async () => {
  await withTracker({}, async (tracker) => {
    await withTempDir(async (dir) => {
      const origin = join(dir, "origin");
      const torrents = await Promise.all(
        ["same.bin", "changed.bin"].map((name, i) =>
          makeTorrent(origin, name, testBytes(100_000, 20 + i), [tracker.announceUrl])
        ),
      );
      const seeds = await Promise.all(torrents.map(({ metainfo }) => startSeed(metainfo, origin)));
      const state = join(dir, "state");
      const downloads = join(dir, "downloads");
      try {
        const first = await startTestDaemon(state, downloads);
        try {
          await addAndSeed(first, tracker.announceUrl, torrents);
        } finally {
          await first.close();
        }
        await Promise.all(seeds.map((seed) => seed.close()));
        // Shut down, it saved what each had verified with its file's size and time.
        const saved = await new StateStore(state).load();
        for (const [index, torrent] of saved.entries()) {
          const { pieceCount, name } = torrents[index].metainfo;
          assert.deepEqual([...torrent.resume!.verified], new Array(pieceCount).fill(1));
          assert.deepEqual(torrent.resume!.stamps.map((stamp) => [stamp.path, stamp.size]), [
            [join(downloads, name), 100_000],
          ]);
        }
        // same.bin: other bytes, its size and time kept; changed.bin: one byte, and its time.
        const same = join(downloads, "same.bin");
        const stat = await Deno.stat(same);
        await Deno.writeFile(same, new Uint8Array(100_000));
        await Deno.utime(same, stat.atime!, stat.mtime!);
        const changed = await Deno.open(join(downloads, "changed.bin"), { write: true });
        await changed.write(new Uint8Array([~testBytes(1, 21)[0] & 0xff]));
        changed.close();

        const second = await startTestDaemon(state, downloads);
        try {
          const listed = async () =>
            ((await second.call("GET", "/torrents")).json.torrents as Listed[]).map((
              torrent,
            ) => [torrent.name, torrent.state, Math.round(torrent.progress * 100)]);
          await waitFor("changed.bin rechecked", async () => (await listed())[1][1] !== "checking");
          // Its stamps matched: its pieces were trusted, not hashed (these bytes would not pass).
          // The other's first piece no longer matches: the rest of it is still there.
          assert.deepEqual(await listed(), [
            ["same.bin", "seeding", 100],
            ["changed.bin", "downloading", 84],
          ]);
        } finally {
          await second.close();
        }
      } finally {
        await Promise.all(seeds.map((seed) => seed.close()));
      }
    });
  });
});

Deno.test("daemon restart: a magnet link still without metadata comes back as a magnet link", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "state");
    const downloads = join(dir, "downloads");
    const magnet = `magnet:?xt=urn:btih:${"cd".repeat(20)}&dn=lonely.iso`;
    const first = await startTestDaemon(state, downloads);
    try {
      assert.equal((await first.call("POST", "/torrents", { source: magnet })).status, 201);
    } finally {
      await first.close();
    }
    assert.deepEqual((await new StateStore(state).load()).map((saved) => saved.magnet), [magnet]);
    const second = await startTestDaemon(state, downloads);
    try {
      const [listed] = (await second.call("GET", "/torrents")).json.torrents as (Listed & {
        source: string;
      })[];
      assert.deepEqual([listed.name, listed.source, listed.state], [
        "lonely.iso",
        "magnet",
        "fetching metadata",
      ]);
    } finally {
      await second.close();
    }
  });
});

Deno.test("daemon state: a corrupt state file is refused in one line, naming it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(join(dir, "state", "torrents.json"), "{ not json");
    await assert.rejects(
      () => startTestDaemon(join(dir, "state"), join(dir, "downloads")),
      /torrents\.json is not a daemon state file .*move it away/,
    );
    await Deno.writeTextFile(
      join(dir, "state", "torrents.json"),
      JSON.stringify({ version: 1, torrents: [{ infoHash: "../../etc", directory: "/" }] }),
    );
    await assert.rejects(
      () => startTestDaemon(join(dir, "state"), join(dir, "downloads")),
      /torrent 1 has no info hash/,
    );
  });
});

Deno.test("daemon state: resume data round-trips, and a record that does not read is dropped, not refused", async () => {
  await withTempDir(async (dir) => {
    const store = new StateStore(dir);
    const torrent = {
      infoHash: "ab".repeat(20),
      magnet: `magnet:?xt=urn:btih:${"ab".repeat(20)}`,
      directory: "/data",
      paused: true,
      addedAt: 1,
      verified: { pieces: 2, bytes: 2 },
    };
    const resume = {
      verified: new Uint8Array([1, 0, 1, 1, 0, 0, 0, 0, 1]),
      stamps: [{ path: "/data/a.bin", size: 9, mtimeMs: 1_700_000_000_123 }],
    };
    await store.save([{ ...torrent, resume }]);
    assert.deepEqual((await store.load())[0].resume, resume);
    for (
      const bad of [
        { pieceCount: 9, verified: "AA==", stamps: [] },
        { pieceCount: 9, verified: "AAA=", stamps: [["/a", -1, 0]] },
        "yes",
      ]
    ) {
      await Deno.writeTextFile(
        store.path,
        JSON.stringify({ version: 1, torrents: [{ ...torrent, resume: bad }] }),
      );
      const [loaded] = await store.load();
      assert.equal(loaded.resume, undefined, JSON.stringify(bad));
      assert.equal(loaded.paused, true);
    }
  });
});

Deno.test("daemon: hostile names come back over the API exactly as they are, as data", async () => {
  await withDaemon(async (daemon, dir) => {
    // A torrent's names cannot hold "/", so the script tag rides in a magnet link's dn.
    const name = `<img src=x onerror=alert(1)>`;
    const { bytes } = await makeTorrent(join(dir, "origin"), name, {
      [`"quoted" and 'single'.txt`]: testBytes(1000, 7),
      "<b onmouseover=alert(2)>.bin": testBytes(1000, 8),
    }, ["http://127.0.0.1:1/announce"]);
    const form = new FormData();
    form.append("torrent", new File([bytes.slice()], "x.torrent"));
    const added = await daemon.call("POST", "/torrents", form);
    assert.equal(added.status, 201);
    const hash = (added.json.torrent as Listed).infoHash;
    const detail = (await daemon.call("GET", `/torrents/${hash}`)).json.torrent as {
      name: string;
      files: { path: string }[];
    };
    assert.equal(detail.name, name);
    assert.deepEqual(detail.files.map((file) => file.path), [
      `"quoted" and 'single'.txt`,
      "<b onmouseover=alert(2)>.bin",
    ]);
    const script = "<script>alert(1)</script>";
    const magnet = await daemon.call("POST", "/torrents", {
      source: `magnet:?xt=urn:btih:${"ab".repeat(20)}&dn=${encodeURIComponent(script)}`,
    });
    assert.equal((magnet.json.torrent as Listed).name, script);
    const response = await fetch(`${daemon.base}/api/torrents`, {
      headers: { Authorization: `Bearer ${daemon.token}` },
    });
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  });
});

Deno.test("p2p daemon: a taken web port is one line and exit code 1; no --data-dir is refused", async () => {
  await withTempDir(async (dir) => {
    const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (squatter.addr as Deno.NetAddr).port;
      const taken = await runP2p(
        dir,
        "daemon",
        "--data-dir",
        join(dir, "data"),
        "-p",
        "0",
        "--web-port",
        String(port),
      );
      assert.equal(taken.code, 1);
      assert.equal(taken.stderr, `p2p: web port ${port} on 127.0.0.1 is taken\n`);
    } finally {
      squatter.close();
    }
    const nowhere = await runP2p(dir, "daemon", "-p", "0", "--web-port", "0");
    assert.equal(nowhere.code, 1);
    assert.match(
      nowhere.stderr,
      /^p2p: the daemon keeps its token and torrents in a data directory: give --data-dir\n$/,
    );
  });
});

Deno.test("daemon state: a torrent's chosen files are kept, and indexes that are not are refused", async () => {
  await withTempDir(async (dir) => {
    const store = new StateStore(join(dir, "state"));
    const saved = {
      infoHash: "0123456789abcdef0123456789abcdef01234567",
      magnet: "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
      directory: dir,
      paused: true,
      addedAt: 1,
      verified: { pieces: 0, bytes: 0 },
      files: [1, 3],
    };
    await store.save([saved]);
    assert.deepEqual((await store.load())[0].files, [1, 3]);
    await store.save([{ ...saved, files: undefined }]);
    assert.equal((await store.load())[0].files, undefined);
    const path = join(dir, "state", "torrents.json");
    const state = JSON.parse(await Deno.readTextFile(path));
    state.torrents[0].files = [1, "x"];
    await Deno.writeTextFile(path, JSON.stringify(state));
    await assert.rejects(() => store.load(), /torrent 1 has files that are not indexes/);
  });
});
