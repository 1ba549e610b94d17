import assert from "node:assert/strict";
import {
  BencodeDict,
  BencodeError,
  BencodeReader,
  type BencodeValue,
  decode,
  encode,
  MAX_NESTING_DEPTH,
} from "../../src/bencode/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);

/** Turns decoded values into plain data for comparison. */
function plain(value: BencodeValue): unknown {
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof BencodeDict) {
    return Object.fromEntries([...value].map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

const valid: [string, unknown][] = [
  ["i0e", 0],
  ["i42e", 42],
  ["i-42e", -42],
  ["i9007199254740991e", Number.MAX_SAFE_INTEGER],
  ["i-9007199254740991e", -Number.MAX_SAFE_INTEGER],
  ["0:", ""],
  ["4:spam", "spam"],
  ["le", []],
  ["li1e3:abce", [1, "abc"]],
  ["de", {}],
  ["d3:cow3:moo4:spam4:eggse", { cow: "moo", spam: "eggs" }],
  // Unsorted keys are accepted, as libtorrent and others do.
  ["d4:spam4:eggs3:cow3:mooe", { spam: "eggs", cow: "moo" }],
  ["d4:listl1:a1:bee", { list: ["a", "b"] }],
];

for (const [input, expected] of valid) {
  Deno.test(`decode accepts ${input}`, () => {
    assert.deepEqual(plain(decode(text(input))), expected);
  });
}

const hostile: [string, string | Uint8Array, RegExp][] = [
  ["empty input", "", /empty input/],
  ["truncated integer", "i42", /truncated/],
  ["truncated string", "10:abc", /runs past the end/],
  ["truncated list", "li1e", /truncated/],
  ["truncated dictionary", "d3:foo", /truncated/],
  ["dictionary missing value", "d3:fooe", /unexpected byte 0x65/],
  ["trailing garbage", "i1ejunk", /trailing data/],
  ["two values", "i1ei2e", /trailing data/],
  // Only parseMetainfo forgives whitespace after a .torrent; bencode itself stays exact.
  ["trailing newline", "d1:ai1ee\n", /trailing data/],
  ["leading zero integer", "i03e", /leading zero/],
  ["negative zero", "i-0e", /negative zero/],
  ["plus sign", "i+3e", /not a digit/],
  ["float", "i1.5e", /not a digit/],
  ["empty integer", "ie", /no digits/],
  ["integer beyond 2^53", "i9007199254740993e", /beyond 2\^53/],
  ["huge integer", "i123456789012345678901234567890e", /beyond 2\^53/],
  ["negative string length", "-3:abc", /unexpected byte/],
  ["string length beyond 2^53", "99999999999999999999:x", /beyond 2\^53/],
  ["string length leading zero", "03:abc", /leading zero/],
  ["non-string key", "di1ei2ee", /key is not a string/],
  ["duplicate key", "d1:ai1e1:ai2ee", /duplicate dictionary key/],
  ["unknown type byte", "x", /unexpected byte 0x78/],
  [
    "deep nesting",
    "l".repeat(MAX_NESTING_DEPTH + 1) + "e".repeat(MAX_NESTING_DEPTH + 1),
    /nesting/,
  ],
  ["nesting bomb", "l".repeat(1_000_000), /nesting/],
];

for (const [name, input, message] of hostile) {
  Deno.test(`decode rejects ${name}`, () => {
    const bytes = typeof input === "string" ? text(input) : input;
    assert.throws(() => decode(bytes), (error: unknown) => {
      return error instanceof BencodeError && message.test(error.message);
    });
  });
}

Deno.test("decode keeps nesting up to the limit", () => {
  const depth = MAX_NESTING_DEPTH;
  const value = decode(text("l".repeat(depth) + "e".repeat(depth)));
  assert.deepEqual(Array.isArray(value), true);
});

Deno.test("decode keeps binary keys and values byte for byte", () => {
  const key = new Uint8Array([0xff, 0x00, 0x80]);
  const input = new Uint8Array([...text("d3:"), ...key, ...text("3:"), ...key, ...text("e")]);
  const dict = decode(input) as BencodeDict;
  const [[decodedKey, decodedValue]] = [...dict];
  assert.deepEqual([...decodedKey].map((c) => c.charCodeAt(0)), [...key]);
  assert.deepEqual(decodedValue, key);
});

Deno.test("decode records the byte span of each dictionary value", () => {
  const input = text("d4:infod1:xi1ee4:zzzzi2ee");
  const dict = decode(input) as BencodeDict;
  const [start, end] = dict.spans.get("info")!;
  assert.deepEqual(new TextDecoder().decode(input.subarray(start, end)), "d1:xi1ee");
});

Deno.test("encode sorts keys and round-trips through decode", () => {
  const bytes = encode({ z: 1, a: [new Uint8Array([1, 2]), "x"], m: { k: -5 } });
  assert.deepEqual(new TextDecoder().decode(bytes), "d1:al2:\x01\x021:xe1:md1:ki-5ee1:zi1ee");
  assert.deepEqual(plain(decode(bytes)), { a: ["\x01\x02", "x"], m: { k: -5 }, z: 1 });
});

Deno.test("decode keeps every key of a dictionary of many keys alike (the key cache)", () => {
  // Keys of one length that share their hash slots must still come out as themselves.
  const keys = Array.from({ length: 500 }, (_, i) => `k${String(i).padStart(4, "0")}`);
  const dict = decode(encode(Object.fromEntries(keys.map((key, i) => [key, i])))) as BencodeDict;
  assert.deepEqual([...dict.keys()], keys);
  assert.deepEqual([...dict.values()], keys.map((_, i) => i));
});

Deno.test("decode gives nested lists their own items", () => {
  const value = decode(text("lli1ei2eeli3eleeli4eli5ei6eeee"));
  assert.deepEqual(value, [[1, 2], [3, []], [4, [5, 6]]]);
});

/** Reads a list of dictionaries entry by entry, as parseMetainfo reads info.files. */
function readEntries(input: string): [string, BencodeValue][][] {
  const reader = new BencodeReader(text(input));
  const entries: [string, BencodeValue][][] = [];
  reader.list(() => {
    const entry: [string, BencodeValue][] = [];
    reader.dictionary((key) => entry.push([key, reader.value()]));
    entries.push(entry);
  });
  reader.end();
  return entries;
}

Deno.test("reader hands over list items and dictionary entries one by one", () => {
  assert.deepEqual(readEntries("ld1:ai1e1:bi2eed1:bi3e1:ai4eee"), [
    [["a", 1], ["b", 2]],
    [["b", 3], ["a", 4]],
  ]);
});

const hostileEntries: [string, string, RegExp][] = [
  ["a repeated key, in order", "ld1:ai1e1:ai2eee", /duplicate dictionary key "a"/],
  ["a repeated key, out of order", "ld1:bi1e1:ai2e1:bi3eee", /duplicate dictionary key "b"/],
  ["a list where a dictionary is read", "lli1eee", /expected a dictionary, found a list/],
  ["a truncated entry", "ld1:ai1e", /truncated/],
  ["trailing bytes", "ld1:ai1eeei1e", /trailing data/],
  [
    "nesting too deep",
    "ld1:a" + "l".repeat(MAX_NESTING_DEPTH) + "e".repeat(MAX_NESTING_DEPTH) + "ee",
    /nesting/,
  ],
];

for (const [name, input, message] of hostileEntries) {
  Deno.test(`reader refuses ${name}`, () => {
    assert.throws(
      () => readEntries(input),
      (error: unknown) => error instanceof BencodeError && message.test(error.message),
    );
  });
}

Deno.test("reader refuses a callback that leaves its item unread", () => {
  const reader = new BencodeReader(text("li1ei2ee"));
  assert.throws(() => reader.list(() => {}), /left unread/);
});
