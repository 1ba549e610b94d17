import assert from "node:assert/strict";
import { join } from "node:path";
import { parseRange } from "../../src/stream/mod.ts";
import { needsTools, runP2p, withTempDir } from "../helpers.ts";
import { type P2pProcess, spawnP2p, spawnTracker } from "../process_helpers.ts";
import { startSwarm, waitForSeeders } from "../session/swarm_helpers.ts";

Deno.test("byte ranges as HTTP states them, hostile ones included", () => {
  const size = 1000;
  const cases: [string | null, ReturnType<typeof parseRange>][] = [
    [null, undefined],
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=100-", { start: 100, end: 999 }],
    ["bytes=-10", { start: 990, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
    ["bytes=900-5000", { start: 900, end: 999 }],
    ["bytes=999-999", { start: 999, end: 999 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    // Ignored (the whole file is a valid answer): malformed, backwards, several ranges, other units.
    ["bytes=5-1", undefined],
    ["bytes=-", undefined],
    ["bytes=0-1,5-6", undefined],
    ["items=0-1", undefined],
    ["bytes=abc", undefined],
  ];
  for (const [header, expected] of cases) {
    assert.deepEqual(parseRange(header, size), expected, String(header));
  }
  assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
});

const SIZE = 4 * 1024 * 1024;

Deno.test("p2p stream serves ranges of a file while it downloads from rate-limited seeds", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "film.bin",
      layout: { "film.bin": SIZE },
      pieceLength: "64K",
      seeds: 2,
      seedArgs: ["--max-upload-rate", "256K"],
    });
    const refused = await runP2p(dir, "stream", swarm.torrentPath, "-d", "s", "--file", "2");
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "p2p: --file 2: the torrent has 1 file, numbered 1 to 1\n");
    // A taken HTTP port is one line too, before any file is made.
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const busy = await runP2p(
      dir,
      "stream",
      swarm.torrentPath,
      "-d",
      "busy",
      "--port",
      String(taken.addr.port),
    );
    taken.close();
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^p2p: cannot serve HTTP on 127\.0\.0\.1:\d+: the port is taken\n$/m);
    assert.deepEqual([...Deno.readDirSync(join(dir, "busy"))], [], "no file made");
    const streaming = spawnP2p(dir, "stream", swarm.torrentPath, "-d", join(dir, "s"), "-v");
    // -v: the log says how the picker followed the reader, should a range be slow.
    try {
      const [url] = await streaming.waitForLine(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const original = await Deno.readFile(swarm.dataPath);
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(SIZE));
      assert.equal(head.headers.get("accept-ranges"), "bytes");
      assert.equal(head.headers.get("content-type"), "application/octet-stream");

      // Once the peers are there (the first byte has come), a seek to the end before the start
      // is in, then the middle, then the start: each within a second.
      const first = await fetch(url, { headers: { range: "bytes=0-0" } });
      assert.deepEqual(new Uint8Array(await first.arrayBuffer()), original.subarray(0, 1));
      const ranges: [string, number, number][] = [
        ["bytes=-1000", SIZE - 1000, SIZE - 1],
        ["bytes=3000000-3100000", 3_000_000, 3_100_000],
        ["bytes=0-99999", 0, 99_999],
      ];
      for (const [range, start, end] of ranges) {
        const asked = performance.now();
        const response = await fetch(url, { headers: { range } });
        const body = new Uint8Array(await response.arrayBuffer());
        const ms = performance.now() - asked;
        assert.equal(response.status, 206, range);
        assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/${SIZE}`);
        assert.deepEqual(body, original.subarray(start, end + 1), range);
        assert.ok(ms < 1000, `${range} took ${ms.toFixed(0)} ms\n${streaming.stderr()}`);
      }
      const beyond = await fetch(url, { headers: { range: `bytes=${SIZE}-` } });
      await beyond.body?.cancel();
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get("content-range"), `bytes */${SIZE}`);
      const elsewhere = await fetch(new URL("/other", url));
      await elsewhere.body?.cancel();
      assert.equal(elsewhere.status, 404);

      // The whole file, streamed as it arrives.
      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), original);
    } finally {
      await streaming.stop();
      await swarm.stop();
    }
  });
});

Deno.test({
  name: "ffprobe and ffmpeg play the first seconds of a video through p2p stream",
  ignore: !needsTools("ffmpeg", "ffprobe"),
  async fn() {
    await withTempDir(async (dir) => {
      const media = join(dir, "media");
      await Deno.mkdir(media);
      const clip = join(media, "clip.mp4");
      const made = await new Deno.Command("ffmpeg", {
        args: [
          ..."-loglevel error -f lavfi -i testsrc=duration=8:size=320x240:rate=25".split(" "),
          ..."-c:v mpeg4 -q:v 4 -movflags +faststart".split(" "),
          clip,
        ],
      }).output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
      const torrent = join(dir, "clip.torrent");
      const seeds: P2pProcess[] = [];
      try {
        const created = await runP2p(
          dir,
          "make-torrent",
          clip,
          "-t",
          announceUrl,
          "-l",
          "16K",
          "-o",
          torrent,
          "-q",
        );
        assert.equal(created.code, 0, created.stderr);
        const seed = spawnP2p(
          dir,
          "seed",
          torrent,
          "-d",
          media,
          "-p",
          "0",
          "-q",
          "--max-upload-rate",
          "256K",
        );
        seeds.push(seed);
        await seed.waitForLine(/^seeding /);
        await waitForSeeders(announceUrl, torrent, 1);
        const streaming = spawnP2p(dir, "stream", torrent, "-d", join(dir, "s"), "-q");
        seeds.push(streaming);
        const [url] = await streaming.waitForLine(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const probe = await new Deno.Command("ffprobe", {
          args: [
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_type",
            "-of",
            "json",
            url,
          ],
        }).output();
        assert.ok(probe.success, new TextDecoder().decode(probe.stderr));
        const probed = JSON.parse(new TextDecoder().decode(probe.stdout));
        assert.equal(probed.streams[0].codec_type, "video");
        assert.ok(Math.abs(Number(probed.format.duration) - 8) < 0.5, probed.format.duration);
        // Decoding the first two seconds reads them through the stream.
        const played = await new Deno.Command("ffmpeg", {
          args: ["-v", "error", "-i", url, "-t", "2", "-f", "null", "-"],
        }).output();
        assert.ok(played.success, new TextDecoder().decode(played.stderr));
      } finally {
        await Promise.all(seeds.map((process) => process.stop()));
        await tracker.stop();
      }
    });
  },
});
