/**
 * Interop with real torrent creators and readers: mktorrent,
 * python3-libtorrent and Transmission make the same torrents as we do (or
 * we read theirs with their own info hash), and they read ours.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatMagnet, InfoHash, parseMagnet, parseMetainfo } from "../../src/metainfo/mod.ts";
import { needsTools, runP2p, runTool, testBytes, withTempDir } from "../helpers.ts";
import { SYSTEM_PYTHON } from "../real_clients.ts";

const LT_TOOL = new URL("./tools/lt_torrent.py", import.meta.url).pathname;
const TRACKER = "http://127.0.0.1:6969/announce";
const PIECE_KIB = 32;

interface LibtorrentView {
  infoHash: string;
  name: string;
  totalLength: number;
  pieceCount: number;
  files: [string, number][];
  magnet: string;
}

async function libtorrentRead(torrent: string): Promise<LibtorrentView> {
  return JSON.parse(await runTool(SYSTEM_PYTHON, [LT_TOOL, "read", torrent]));
}

async function ourInfoHash(torrent: string): Promise<string> {
  return parseMetainfo(await Deno.readFile(torrent)).infoHash.hex;
}

/** A directory with nested files, an empty file and names whose sort order is subtle. */
async function makeSampleTree(dir: string): Promise<string> {
  const root = join(dir, "Sample Album");
  await Deno.mkdir(join(root, "disc 1"), { recursive: true });
  await Deno.mkdir(join(root, "disc-2"), { recursive: true });
  await Deno.writeFile(join(root, "disc 1", "track01.bin"), testBytes(200_000, 11));
  await Deno.writeFile(join(root, "disc 1", "track02.bin"), testBytes(65_536, 12));
  await Deno.writeFile(join(root, "disc-2", "track01.bin"), testBytes(99_999, 13));
  await Deno.writeFile(join(root, "cover.jpg"), testBytes(12_345, 14));
  await Deno.writeFile(join(root, "empty.txt"), new Uint8Array(0));
  await Deno.writeFile(join(root, "Ünïcode name.txt"), testBytes(777, 15));
  return root;
}

async function makeSampleFile(dir: string): Promise<string> {
  const path = join(dir, "eBook.txt");
  await Deno.writeFile(path, testBytes(3_359_647, 16));
  return path;
}

for (
  const [kind, makeSample] of [["single file", makeSampleFile], [
    "directory",
    makeSampleTree,
  ]] as const
) {
  Deno.test({
    name: `interop: our info hash equals mktorrent's and libtorrent's for a ${kind}`,
    ignore: !needsTools("mktorrent", SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const sample = await makeSample(dir);
        const ours = join(dir, "ours.torrent");
        const made = await runP2p(
          dir,
          "make-torrent",
          sample,
          "-l",
          `${PIECE_KIB}K`,
          "-t",
          TRACKER,
          "-o",
          ours,
          "-q",
        );
        assert.equal(made.code, 0, made.stderr);
        const mktorrent = join(dir, "mktorrent.torrent");
        await runTool("mktorrent", ["-l", "15", "-a", TRACKER, "-o", mktorrent, sample]);
        const libtorrent = join(dir, "libtorrent.torrent");
        await runTool(SYSTEM_PYTHON, [
          LT_TOOL,
          "create",
          sample,
          String(PIECE_KIB * 1024),
          libtorrent,
        ]);

        const ourHash = await ourInfoHash(ours);
        assert.equal(await ourInfoHash(mktorrent), ourHash, "mktorrent's info hash");
        assert.equal(await ourInfoHash(libtorrent), ourHash, "libtorrent's info hash");
        assert.equal((await libtorrentRead(mktorrent)).infoHash, ourHash);
      });
    },
  });
}

Deno.test({
  name: "interop: libtorrent and transmission-show read our torrents",
  ignore: !needsTools("transmission-show", SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const sample = await makeSampleTree(dir);
      const ours = join(dir, "ours.torrent");
      const made = await runP2p(dir, "make-torrent", sample, "-t", TRACKER, "-o", ours, "-q");
      assert.equal(made.code, 0, made.stderr);
      const torrent = parseMetainfo(await Deno.readFile(ours));

      const seen = await libtorrentRead(ours);
      assert.equal(seen.infoHash, torrent.infoHash.hex);
      assert.equal(seen.name, "Sample Album");
      assert.equal(seen.totalLength, torrent.totalLength);
      assert.equal(seen.pieceCount, torrent.pieceCount);
      assert.deepEqual(
        seen.files,
        torrent.files.map((f) => [["Sample Album", ...f.path].join("/"), f.length]),
      );

      const shown = await runTool("transmission-show", [ours]);
      assert.match(shown, new RegExp(`Hash: ${torrent.infoHash.hex}`));
      assert.match(shown, /Name: Sample Album/);
      assert.match(shown, new RegExp(`Piece Count: ${torrent.pieceCount}\\b`));
      assert.match(shown, /Ünïcode name\.txt/);
      assert.match(shown, new RegExp(TRACKER.replaceAll(".", "\\.")));
    });
  },
});

Deno.test({
  name: "interop: libtorrent reads our magnet links, every field, and we read its",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const sample = await makeSampleTree(dir);
      const ours = join(dir, "ours.torrent");
      const udp = "udp://127.0.0.1:6969";
      const made = await runP2p(dir, "make-torrent", sample, "-t", TRACKER, "-t", udp, "-o", ours);
      assert.equal(made.code, 0, made.stderr);
      const magnet = made.stdout.split("\n")[1];
      const torrent = parseMetainfo(await Deno.readFile(ours));
      const readByLibtorrent = async (link: string) =>
        JSON.parse(await runTool(SYSTEM_PYTHON, [LT_TOOL, "magnet", link]));

      assert.deepEqual(await readByLibtorrent(magnet), {
        infoHash: torrent.infoHash.hex,
        name: "Sample Album",
        trackers: [TRACKER, udp],
        tiers: [0, 1],
        webSeeds: [],
        peers: [],
        selected: [],
      });
      const everything = formatMagnet({
        infoHash: InfoHash.fromHex("c12fe1c06bba254a9dc9f519b335aa7c1367a88a"),
        name: "a & b+c é",
        trackerTiers: [[TRACKER]],
        peers: [{ ip: "127.0.0.1", port: 6881 }, { ip: "::1", port: 51413 }],
        webSeeds: ["http://127.0.0.1:8080/data"],
        selectOnly: [0, 2, 4, 5, 6],
      });
      assert.deepEqual(await readByLibtorrent(everything), {
        infoHash: "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
        name: "a & b+c é",
        trackers: [TRACKER],
        tiers: [0],
        webSeeds: ["http://127.0.0.1:8080/data"],
        peers: [["127.0.0.1", 6881], ["::1", 51413]],
        selected: [0, 2, 4, 5, 6],
      });

      const theirs = parseMagnet((await libtorrentRead(ours)).magnet);
      assert.equal(theirs.infoHash.hex, torrent.infoHash.hex);
      assert.equal(theirs.name, "Sample Album");
      assert.deepEqual(theirs.trackerTiers, [[TRACKER], [udp]]);
    });
  },
});

Deno.test({
  name: "interop: we read transmission-create's torrents with their own info hash",
  ignore: !needsTools("transmission-create", SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const sample = await makeSampleTree(dir);
      const theirs = join(dir, "transmission.torrent");
      await runTool("transmission-create", ["-s", "32", "-t", TRACKER, "-o", theirs, sample]);
      const shown = await runP2p(dir, "info", "--json", theirs);
      assert.equal(shown.code, 0, shown.stderr);
      const info = JSON.parse(shown.stdout);
      assert.equal(info.infoHash, (await libtorrentRead(theirs)).infoHash);
      assert.match(info.createdBy, /Transmission/);
      assert.equal(info.private, false);
      // Transmission leaves the empty file out; the bytes, and so the pieces, are the same.
      assert.equal(info.files.length, 5);

      // Its info dictionary carries `private: 0`, so the same data hashes differently from ours
      // while every piece hash is the same.
      const file = await makeSampleFile(dir);
      const theirsSingle = join(dir, "transmission-single.torrent");
      await runTool("transmission-create", ["-s", "32", "-t", TRACKER, "-o", theirsSingle, file]);
      const ours = join(dir, "ours.torrent");
      await runP2p(dir, "make-torrent", file, "-l", "32K", "-t", TRACKER, "-o", ours, "-q");
      const ourTorrent = parseMetainfo(await Deno.readFile(ours));
      const theirTorrent = parseMetainfo(await Deno.readFile(theirsSingle));
      assert.equal(theirTorrent.infoHash.hex, (await libtorrentRead(theirsSingle)).infoHash);
      assert.notEqual(ourTorrent.infoHash.hex, theirTorrent.infoHash.hex);
      assert.deepEqual(ourTorrent.pieceHashes, theirTorrent.pieceHashes);
    });
  },
});
