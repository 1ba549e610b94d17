import assert from "node:assert/strict";
import { join } from "node:path";
import { type Metainfo, parseMagnet, parseMetainfo } from "../../src/metainfo/mod.ts";
import { needsTools, pieceHashesOf, runP2p, testBytes, withTempDir } from "../helpers.ts";
import { runP2pOnTerminal, runP2pWithInput } from "../process_helpers.ts";

/** Checks that `text` is the magnet link of `torrent`: its hash, name and trackers. */
function assertMagnetOf(text: string, torrent: Metainfo): void {
  const link = parseMagnet(text);
  assert.equal(link.infoHash.hex, torrent.infoHash.hex);
  assert.equal(link.name, torrent.name);
  assert.deepEqual(link.trackerTiers, torrent.trackerTiers.flat().map((url) => [url]));
}

Deno.test("make-torrent writes a single-file torrent that info reads back", async () => {
  await withTempDir(async (dir) => {
    const data = testBytes(100_000);
    await Deno.writeFile(join(dir, "eBook.txt"), data);
    const made = await runP2p(
      dir,
      "make-torrent",
      "eBook.txt",
      "-t",
      "http://127.0.0.1:6969/announce",
      "-t",
      "http://127.0.0.2:6969/announce",
      "-l",
      "32K",
      "-c",
      "a comment",
      "-s",
      "lab",
      "-p",
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(
      made.stderr,
      /\[1\/3\] Searching[\s\S]*\[2\/3\] Hashing 1 file, 97\.7 KiB in 4 pieces/,
    );
    const bytes = await Deno.readFile(join(dir, "eBook.txt.torrent"));
    const torrent = parseMetainfo(bytes);
    const [summary, magnet, ...rest] = made.stdout.split("\n");
    assert.equal(summary, `${torrent.infoHash.hex}  ${join(dir, "eBook.txt.torrent")}`);
    assertMagnetOf(magnet, torrent);
    assert.deepEqual(rest, [""]);
    assert.deepEqual(torrent.pieceHashes, pieceHashesOf(data, 32768));
    assert.deepEqual(torrent.trackerTiers, [["http://127.0.0.1:6969/announce"], [
      "http://127.0.0.2:6969/announce",
    ]]);
    assert.equal(torrent.private, true);
    assert.equal(torrent.source, "lab");
    assert.equal(torrent.comment, "a comment");
    assert.equal(torrent.createdBy, "p2p/0.1.0");
    assert.equal(torrent.creationDate, Date.parse("2024-12-01T00:00:00Z") / 1000);

    const shown = await runP2p(dir, "info", "eBook.txt.torrent");
    assert.equal(shown.code, 0);
    for (
      const line of [
        "name        eBook.txt",
        `info hash   ${torrent.infoHash.hex}`,
        "size        97.7 KiB (100,000 bytes)",
        "pieces      4 of 32 KiB (32,768 bytes)",
        "private     yes",
        "created     2024-12-01T00:00:00.000Z",
        "created by  p2p/0.1.0",
        "comment     a comment",
        "source      lab",
        "trackers    http://127.0.0.1:6969/announce",
        "            http://127.0.0.2:6969/announce",
        "files       1",
        "  1    97.7 KiB  eBook.txt",
      ]
    ) assert.ok(shown.stdout.includes(line + "\n"), `missing "${line}" in:\n${shown.stdout}`);
    const magnetRow = /^magnet {6}(\S+)$/m.exec(shown.stdout);
    assert.ok(magnetRow, `no magnet row in:\n${shown.stdout}`);
    assert.equal(magnetRow[1], magnet, "info prints the link make-torrent printed");

    const json = JSON.parse((await runP2p(dir, "info", "--json", "eBook.txt.torrent")).stdout);
    assert.equal(json.infoHash, torrent.infoHash.hex);
    assert.equal(json.magnet, magnet);
    assert.equal(json.totalLength, 100_000);
    assert.deepEqual(json.files, [{ path: "eBook.txt", length: 100_000 }]);
  });
});

Deno.test("make-torrent of a directory, with --json, --name and --no-date, is reproducible", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "src/sub"), { recursive: true });
    await Deno.writeFile(join(dir, "src/b.bin"), testBytes(20_000, 2));
    await Deno.writeFile(join(dir, "src/sub/a.bin"), testBytes(30_000, 3));
    await Deno.writeFile(join(dir, "src/zero"), new Uint8Array(0));
    const args = ["make-torrent", "src", "--no-date", "--json", "-q", "-n", "Pack"];
    const first = await runP2p(dir, ...args, "-o", "one.torrent");
    const second = await runP2p(dir, ...args, "-o", "two.torrent");
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, "");
    const result = JSON.parse(first.stdout);
    assert.equal(result.name, "Pack");
    assert.deepEqual(result.files, [
      { path: "b.bin", length: 20_000 },
      { path: "sub/a.bin", length: 30_000 },
      { path: "zero", length: 0 },
    ]);
    assert.equal(result.totalLength, 50_000);
    assert.deepEqual(
      await Deno.readFile(join(dir, "one.torrent")),
      await Deno.readFile(join(dir, "two.torrent")),
    );
    assert.equal(JSON.parse(second.stdout).infoHash, result.infoHash);
    const torrent = parseMetainfo(await Deno.readFile(join(dir, "one.torrent")));
    assertMagnetOf(result.magnet, torrent);
    assert.equal(torrent.creationDate, undefined);
    assert.deepEqual(torrent.files.map((f) => f.path.join("/")), ["b.bin", "sub/a.bin", "zero"]);
  });
});

Deno.test("make-torrent never clobbers without --force and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "f.txt"), "data");
    await Deno.writeTextFile(join(dir, "f.txt.torrent"), "precious");
    const refused = await runP2p(dir, "make-torrent", "f.txt");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists \(use --force to overwrite\)\n$/);
    assert.equal(await Deno.readTextFile(join(dir, "f.txt.torrent")), "precious");
    const forced = await runP2p(dir, "make-torrent", "f.txt", "--force", "-q");
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(parseMetainfo(await Deno.readFile(join(dir, "f.txt.torrent"))).name, "f.txt");
    const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(leftovers, ["f.txt", "f.txt.torrent"]);
  });
});

const failures: [string, string[], number, RegExp][] = [
  [
    "a missing file",
    ["make-torrent", "nope.bin"],
    1,
    /\np2p: no such file or directory: .*nope\.bin\n$/,
  ],
  [
    "an unknown flag",
    ["make-torrent", "--frobnicate", "x"],
    2,
    /^p2p: unknown option '--frobnicate'\nUsage: p2p make-torrent/,
  ],
  ["an unknown command", ["frobnicate"], 2, /^p2p: unknown command 'frobnicate'\nUsage: p2p/],
  ["a bad piece length", ["make-torrent", "-l", "3K", "x"], 2, /must be a power of two/],
  ["a missing path", ["make-torrent"], 2, /missing required argument 'path'/],
  [
    "a missing output directory",
    ["make-torrent", "f.txt", "-o", "no/such/dir/x.torrent"],
    1,
    /output directory does not exist/,
  ],
  [
    "info of a missing torrent",
    ["info", "missing.torrent"],
    1,
    /^p2p: no such file: missing\.torrent\n$/,
  ],
  [
    "info of garbage",
    ["info", "garbage.torrent"],
    1,
    /^p2p: garbage\.torrent: not a torrent: invalid bencode at byte 0: unexpected byte 0x3c\n$/,
  ],
  ["info of a directory", ["info", "."], 1, /^p2p: not a file: \.\n$/],
];

for (const [name, args, code, message] of failures) {
  Deno.test(`p2p reports ${name} in one line, exit ${code}`, async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "f.txt"), "data");
      await Deno.writeTextFile(join(dir, "garbage.torrent"), "<html>");
      const run = await runP2p(dir, ...args);
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    });
  });
}

Deno.test("p2p --help, --version and help for a command", async () => {
  const help = await runP2p(".", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: p2p \[options\] \[command\][\s\S]*make-torrent[\s\S]*info/);
  const version = await runP2p(".", "--version");
  assert.deepEqual([version.code, version.stdout], [0, "0.1.0\n"]);
  const commandHelp = await runP2p(".", "make-torrent", "--help");
  assert.equal(commandHelp.code, 0);
  assert.match(commandHelp.stdout, /--piece-length <size>/);
  const bare = await runP2p(".");
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /Usage: p2p/);
});

Deno.test({
  name: "make-torrent draws a progress bar on a terminal and none into a pipe",
  ignore: !needsTools("script"),
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.writeFile(join(dir, "data.bin"), testBytes(8 * 1024 * 1024));
      const { code, screen: onTerminal } = await runP2pOnTerminal(dir, [
        "make-torrent",
        "data.bin",
        "-o",
        "t.torrent",
      ]);
      assert.equal(code, 0, onTerminal);
      assert.match(onTerminal, /Hashing \[.*\] 0% 0 B\/8 MiB/);
      assert.match(onTerminal, /Hashing \[.*\] 100% 8 MiB\/8 MiB/);
      assert.match(onTerminal, /\[3\/3\] Writing/);
      const piped = await runP2p(dir, "make-torrent", "data.bin", "-o", "t.torrent", "--force");
      assert.equal(piped.code, 0);
      assert.doesNotMatch(piped.stderr, /Hashing \[/);
    });
  },
});

Deno.test("make-torrent takes http, https and udp trackers and refuses anything else in one line", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "f.txt"), "x".repeat(5000));
    const trackers = ["udp://127.0.0.1:6969/announce", "https://127.0.0.1/announce"];
    const made = await runP2p(
      dir,
      "make-torrent",
      "f.txt",
      "-q",
      ...trackers.flatMap((t) => ["-t", t]),
    );
    assert.equal(made.code, 0, made.stderr);
    const torrent = parseMetainfo(await Deno.readFile(join(dir, "f.txt.torrent")));
    assert.deepEqual(torrent.trackerTiers, trackers.map((url) => [url]));
    for (const bad of ["wss://tracker.example/announce", "tracker.example", "udp://"]) {
      const refused = await runP2p(dir, "make-torrent", "f.txt", "-o", "g.torrent", "-t", bad);
      assert.equal(refused.code, 2, bad);
      assert.match(refused.stderr, /argument '.*' is invalid\. must be an http, https or udp URL/);
      await assert.rejects(() => Deno.stat(join(dir, "g.torrent")));
    }
  });
});

Deno.test("make-torrent refuses an output directory it cannot write before hashing anything", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "data.bin"), new Uint8Array(100_000));
    // /sys refuses new files even to root, as a read-only mount would.
    const refused = await runP2p(dir, "make-torrent", "data.bin", "-o", "/sys/data.bin.torrent");
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      "[1/3] Searching data.bin for files...\np2p: cannot write to /sys: permission denied\n",
      "no hashing step",
    );
  });
});

Deno.test("make-torrent takes -a for a tracker as mktorrent does, after any -t, each its own tier", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "data.bin"), new Uint8Array(1000));
    const made = await runP2p(
      dir,
      "make-torrent",
      "data.bin",
      "-a",
      "udp://127.0.0.1:6969/announce",
      "-t",
      "http://127.0.0.1:6969/announce",
      "-q",
    );
    assert.equal(made.code, 0, made.stderr);
    const torrent = parseMetainfo(await Deno.readFile(join(dir, "data.bin.torrent")));
    assert.deepEqual(torrent.trackerTiers, [
      ["http://127.0.0.1:6969/announce"],
      ["udp://127.0.0.1:6969/announce"],
    ]);
    const bad = await runP2p(dir, "make-torrent", "data.bin", "-a", "ftp://x", "-f", "-q");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'-a, --announce <url>' argument 'ftp:\/\/x' is invalid/);
  });
});

Deno.test("with --json a failure is also a JSON object on stdout, for scripts", async () => {
  await withTempDir(async (dir) => {
    const info = await runP2p(dir, "info", "nope.torrent", "--json");
    assert.equal(info.code, 1);
    assert.equal(info.stderr, "p2p: no such file: nope.torrent\n");
    assert.deepEqual(JSON.parse(info.stdout), { error: "no such file: nope.torrent" });
    const made = await runP2p(dir, "make-torrent", "missing.bin", "--json");
    assert.equal(made.code, 1);
    assert.match(JSON.parse(made.stdout).error, /missing\.bin/);
  });
});

Deno.test("info - reads the .torrent from standard input; garbage there gets one line", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "data.bin"), new Uint8Array(1000));
    assert.equal((await runP2p(dir, "make-torrent", "data.bin", "-q")).code, 0);
    const bytes = await Deno.readFile(join(dir, "data.bin.torrent"));
    const piped = await runP2pWithInput(dir, bytes, "info", "-", "--json");
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).name, "data.bin");
    const garbage = await runP2pWithInput(dir, new TextEncoder().encode("nonsense"), "info", "-");
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /^p2p: standard input: .+\n$/);
    // /dev/stdin is standard input too (Deno would want every permission to open the device).
    const device = await runP2pWithInput(dir, bytes, "info", "/dev/stdin", "--json");
    assert.equal(device.code, 0, device.stderr);
    assert.equal(JSON.parse(device.stdout).name, "data.bin");
  });
});

Deno.test("info and seed take the URL of a .torrent, as get does", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "data.bin"), new Uint8Array(1000));
    assert.equal((await runP2p(dir, "make-torrent", "data.bin", "-q")).code, 0);
    const bytes = await Deno.readFile(join(dir, "data.bin.torrent"));
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) =>
        new URL(request.url).pathname === "/data.bin.torrent"
          ? new Response(bytes)
          : new Response("no", { status: 404 }),
    );
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const shown = await runP2p(dir, "info", `${base}/data.bin.torrent`, "--json");
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).name, "data.bin");
      const missing = await runP2p(dir, "seed", `${base}/nothing.torrent`);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `p2p: cannot fetch ${base}/nothing.torrent: HTTP 404\n`);
    } finally {
      await server.shutdown();
    }
  });
});
