import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { EncodableValue } from "../../src/bencode/mod.ts";
import { MetainfoError, parseMetainfo } from "../../src/metainfo/mod.ts";
import { pieceHashesOf, testBytes, torrentBytes, validTorrentFields } from "../helpers.ts";

const text = (value: string) => new TextEncoder().encode(value);

Deno.test("parse reads a valid single-file torrent", () => {
  const { top } = validTorrentFields();
  const torrent = parseMetainfo(torrentBytes(top));
  assert.equal(torrent.name, "data.bin");
  assert.equal(torrent.totalLength, 40000);
  assert.equal(torrent.pieceCount, 3);
  assert.equal(torrent.multiFile, false);
  assert.deepEqual(torrent.files, [{ path: ["data.bin"], length: 40000, offset: 0 }]);
  assert.deepEqual(torrent.trackerTiers, [["http://127.0.0.1:6969/announce"]]);
  assert.equal(torrent.private, false);
});

Deno.test("info hash is the SHA-1 of the info bytes as they stand, even unsorted", () => {
  // Keys out of order: a re-encoding would sort them and change the hash.
  const hashes = pieceHashesOf(testBytes(10), 16384);
  const info = new Uint8Array([
    ...text("d4:name1:x6:lengthi10e12:piece lengthi16384e6:pieces20:"),
    ...hashes,
    ...text("e"),
  ]);
  const bytes = new Uint8Array([...text("d4:info"), ...info, ...text("e")]);
  const torrent = parseMetainfo(bytes);
  assert.equal(torrent.infoHash.hex, createHash("sha1").update(info).digest("hex"));
  assert.deepEqual(torrent.infoBytes, info);
});

Deno.test("parse reads a multi-file torrent with offsets and an empty file", () => {
  const data = testBytes(30000);
  const top = {
    info: {
      name: "album",
      "piece length": 16384,
      pieces: pieceHashesOf(data, 16384),
      files: [
        { length: 10000, path: ["a", "one.bin"] },
        { length: 0, path: ["empty"] },
        { length: 20000, path: ["two.bin"] },
      ],
    },
  };
  const torrent = parseMetainfo(torrentBytes(top));
  assert.equal(torrent.multiFile, true);
  assert.deepEqual(torrent.files.map((f) => [f.path.join("/"), f.offset]), [
    ["a/one.bin", 0],
    ["empty", 10000],
    ["two.bin", 10000],
  ]);
  assert.equal(torrent.trackerTiers.length, 0);
});

Deno.test("parse prefers announce-list tiers and reads private, dates, comment, source", () => {
  const { top, info } = validTorrentFields();
  top["announce-list"] = [["http://a/announce", "http://b/announce"], ["http://c/announce"]];
  top["creation date"] = 1733011200;
  top["created by"] = "mktorrent 1.1";
  top.comment = "hello";
  info.private = 1;
  info.source = "site";
  const torrent = parseMetainfo(torrentBytes(top));
  assert.deepEqual(torrent.trackerTiers, [["http://a/announce", "http://b/announce"], [
    "http://c/announce",
  ]]);
  assert.equal(torrent.private, true);
  assert.equal(torrent.creationDate, 1733011200);
  assert.equal(torrent.createdBy, "mktorrent 1.1");
  assert.equal(torrent.comment, "hello");
  assert.equal(torrent.source, "site");
});

Deno.test("parse uses name.utf-8 when the plain name is not UTF-8", () => {
  const { top, info } = validTorrentFields();
  info.name = new Uint8Array([0xff, 0xfe]);
  info["name.utf-8"] = "nice.bin";
  assert.equal(parseMetainfo(torrentBytes(top)).name, "nice.bin");
});

Deno.test("parse accepts an old piece length that is not a power of two", () => {
  const data = testBytes(50000);
  const top = {
    info: { name: "odd", "piece length": 30000, pieces: pieceHashesOf(data, 30000), length: 50000 },
  };
  assert.equal(parseMetainfo(torrentBytes(top)).pieceCount, 2);
});

type Mutation = (
  top: Record<string, EncodableValue>,
  info: Record<string, EncodableValue>,
) => void;

function multiFile(info: Record<string, EncodableValue>, files: EncodableValue[]): void {
  delete info.length;
  info.files = files;
}

const hostile: [string, Mutation, RegExp][] = [
  ["top level not a dictionary", (top) => {
    for (const key of Object.keys(top)) delete top[key];
  }, /has no "info"/],
  ["missing info", (top) => delete top.info, /has no "info"/],
  ["info is a list", (top) => (top.info = []), /info is a list, not a dictionary/],
  ["missing name", (_, info) => delete info.name, /has no "name"/],
  ["name is an integer", (_, info) => (info.name = 5), /info.name is an integer/],
  ["empty name", (_, info) => (info.name = ""), /info\.name is empty/],
  ["name ..", (_, info) => (info.name = ".."), /unsafe component/],
  ["name with slash", (_, info) => (info.name = "a/b"), /path separator/],
  ["name with backslash", (_, info) => (info.name = "a\\b"), /path separator/],
  ["name with NUL", (_, info) => (info.name = "a\0b"), /NUL/],
  ["name not UTF-8", (_, info) => (info.name = new Uint8Array([0xc3, 0x28])), /not valid UTF-8/],
  ["missing piece length", (_, info) => delete info["piece length"], /has no "piece length"/],
  ["piece length zero", (_, info) => (info["piece length"] = 0), /outside/],
  ["piece length negative", (_, info) => (info["piece length"] = -16384), /outside/],
  ["piece length absurd", (_, info) => (info["piece length"] = 2 ** 40), /outside/],
  // libtorrent reads any piece length; we stop at 256 MiB (limits.ts says why).
  [
    "piece length 512 MiB",
    (_, info) => (info["piece length"] = 512 * 1024 * 1024),
    /piece length 536870912 is outside 1 KiB to 256 MiB/,
  ],
  ["piece length a string", (_, info) => (info["piece length"] = "16384"), /not an integer/],
  ["missing pieces", (_, info) => delete info.pieces, /has no "pieces"/],
  ["pieces not multiple of 20", (_, info) => (info.pieces = new Uint8Array(59)), /multiple of 20/],
  ["too few pieces", (_, info) => (info.pieces = new Uint8Array(40)), /need 3/],
  ["too many pieces", (_, info) => (info.pieces = new Uint8Array(80)), /need 3/],
  ["negative length", (_, info) => (info.length = -1), /negative/],
  ["huge length", (_, info) => (info.length = 2 ** 52), /larger than 1 PiB/],
  ["neither length nor files", (_, info) => delete info.length, /has no "length"/],
  // libtorrent refuses these too ("invalid length of torrent"): there is nothing to share.
  ["total length zero", (_, info) => {
    info.length = 0;
    info.pieces = new Uint8Array(0);
  }, /total size is 0 bytes/],
  ["only empty files", (_, info) => {
    multiFile(info, [{ length: 0, path: ["a"] }, { length: 0, path: ["b"] }]);
    info.pieces = new Uint8Array(0);
  }, /total size is 0 bytes/],
  ["both length and files", (_, info) => (info.files = []), /both length and files/],
  [
    "files not a list",
    (_, info) => multiFile(info, 7 as unknown as EncodableValue[]),
    /not a list/,
  ],
  ["files empty", (_, info) => multiFile(info, []), /info.files is empty/],
  ["file entry not a dict", (_, info) => multiFile(info, ["x"]), /not a dictionary/],
  ["file without path", (_, info) => multiFile(info, [{ length: 40000 }]), /has no "path"/],
  ["file empty path", (_, info) => multiFile(info, [{ length: 40000, path: [] }]), /is empty/],
  [
    "file path absolute",
    (_, info) => multiFile(info, [{ length: 40000, path: ["/etc", "passwd"] }]),
    /path separator/,
  ],
  [
    "file path with ..",
    (_, info) => multiFile(info, [{ length: 40000, path: ["..", "escape"] }]),
    /unsafe component/,
  ],
  [
    "file path with .",
    (_, info) => multiFile(info, [{ length: 40000, path: [".", "x"] }]),
    /unsafe component/,
  ],
  [
    "file path empty component",
    (_, info) => multiFile(info, [{ length: 40000, path: ["a", ""] }]),
    /info\.files\[0\]\.path\[1\] is empty/,
  ],
  // libtorrent reads this as "name/_/_"; we refuse empty components rather than rename them.
  [
    "file path of empty components",
    (_, info) => multiFile(info, [{ length: 40000, path: ["", ""] }]),
    /info\.files\[0\]\.path\[0\] is empty/,
  ],
  [
    "file path with separator",
    (_, info) => multiFile(info, [{ length: 40000, path: ["a/../../b"] }]),
    /path separator/,
  ],
  [
    "file path component not a string",
    (_, info) => multiFile(info, [{ length: 40000, path: [1] }]),
    /not a string/,
  ],
  [
    "file path too deep",
    (_, info) => multiFile(info, [{ length: 40000, path: Array(65).fill("d") }]),
    /deeper than 64/,
  ],
  [
    "duplicate file paths",
    (_, info) =>
      multiFile(info, [{ length: 20000, path: ["a", "b"] }, { length: 20000, path: ["a", "b"] }]),
    /repeats the path "a\/b"/,
  ],
  [
    "file and directory clash",
    (_, info) =>
      multiFile(info, [{ length: 20000, path: ["a"] }, { length: 20000, path: ["a", "b"] }]),
    /both a file and a directory/,
  ],
  // Files out of order are checked another way than sorted ones (path_conflicts.ts).
  [
    "file and directory clash, directory first",
    (_, info) =>
      multiFile(info, [{ length: 20000, path: ["a", "b"] }, { length: 20000, path: ["a"] }]),
    /"a" is both a file and a directory/,
  ],
  [
    "file and directory clash, out of order",
    (_, info) =>
      multiFile(info, [
        { length: 10000, path: ["z"] },
        { length: 10000, path: ["a"] },
        { length: 20000, path: ["a", "b", "c"] },
      ]),
    /"a" is both a file and a directory/,
  ],
  [
    "duplicate file paths, out of order",
    (_, info) =>
      multiFile(info, [
        { length: 10000, path: ["b", "x"] },
        { length: 10000, path: ["a"] },
        { length: 20000, path: ["b", "x"] },
      ]),
    /info\.files\[2\] repeats the path "b\/x"/,
  ],
  [
    "file length negative",
    (_, info) => multiFile(info, [{ length: -5, path: ["a"] }]),
    /negative/,
  ],
  [
    "file path not UTF-8",
    (_, info) => multiFile(info, [{ length: 40000, path: [new Uint8Array([0xff])] }]),
    /not valid UTF-8/,
  ],
  ["announce not a string", (top) => (top.announce = 5), /announce is an integer/],
  ["announce-list not a list", (top) => (top["announce-list"] = "x"), /not a list/],
  ["announce-list tier not a list", (top) => (top["announce-list"] = ["x"]), /not a list/],
  ["private not an integer", (_, info) => (info.private = "yes"), /not an integer/],
  ["creation date not an integer", (top) => (top["creation date"] = "today"), /not an integer/],
];

for (const [name, mutate, message] of hostile) {
  Deno.test(`parse rejects ${name}`, () => {
    const { top, info } = validTorrentFields();
    mutate(top, info);
    assert.throws(
      () => parseMetainfo(torrentBytes(top)),
      (error: unknown) => error instanceof MetainfoError && message.test(error.message),
    );
  });
}

const hostileBytes: [string, Uint8Array, RegExp][] = [
  ["empty file", new Uint8Array(0), /empty input/],
  ["not bencode", text("<html>hello</html>"), /not a torrent/],
  [
    "trailing garbage",
    new Uint8Array([...torrentBytes(validTorrentFields().top), 0x78]),
    /trailing/,
  ],
  ["trailing NUL", new Uint8Array([...torrentBytes(validTorrentFields().top), 0x00]), /trailing/],
  [
    "garbage after trailing whitespace",
    new Uint8Array([...torrentBytes(validTorrentFields().top), ...text("\n\nx\n")]),
    /trailing/,
  ],
  [
    "a form feed after the end (not one of the four whitespace bytes)",
    new Uint8Array([...torrentBytes(validTorrentFields().top), 0x0c]),
    /trailing/,
  ],
  [
    "truncated",
    torrentBytes(validTorrentFields().top).subarray(0, 100),
    /runs past the end|truncated/,
  ],
  ["integer beyond 2^53", text("d4:infod6:lengthi99999999999999999999eee"), /beyond 2\^53/],
  ["string length past the end", text("d4:info999999:xe"), /runs past the end/],
  ["deep nesting", text("d4:info" + "l".repeat(100) + "e".repeat(100) + "e"), /nesting/],
];

for (const [name, bytes, message] of hostileBytes) {
  Deno.test(`parse rejects ${name}`, () => {
    assert.throws(
      () => parseMetainfo(bytes),
      (error: unknown) => error instanceof MetainfoError && message.test(error.message),
    );
  });
}

// libtorrent reads a torrent with a newline (or other whitespace) after it, as editors and
// `echo >>` leave them; the info hash is still of the info dictionary's bytes alone.
for (
  const [name, tail] of [["a newline", "\n"], ["CR LF", "\r\n"], ["spaces and tabs", " \t \t"]]
) {
  Deno.test(`parse accepts ${name} after the torrent`, () => {
    const bytes = torrentBytes(validTorrentFields().top);
    const torrent = parseMetainfo(new Uint8Array([...bytes, ...text(tail)]));
    assert.equal(torrent.infoHash.hex, parseMetainfo(bytes).infoHash.hex);
    assert.equal(torrent.name, "data.bin");
  });
}
