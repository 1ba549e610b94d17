/**
 * The inputs a target is fed: its seeds, each changed by a short stack of
 * mutations (AFL's "havoc" operators: bit flips, interesting bytes and
 * integers, digit runs swapped for edge numbers, the format's tokens,
 * inserted, deleted and repeated ranges, splices of two seeds), and, for
 * formats whose values the target can find, whole values swapped for
 * other values or tokens (a dictionary value of a torrent, a query
 * parameter, a wire message), plus some plain random bytes. Built as a
 * fast-check arbitrary, so a finding shrinks towards fewer, smaller
 * mutations of the first seed, and the same seed number gives the same
 * inputs in the same order.
 *
 * @module
 */
import { concat } from "../../src/tracker/mod.ts";
import { fc } from "./fast_check.ts";

/** Longest input ever produced: the targets' real inputs are far smaller. */
export const MAX_INPUT_LENGTH = 64 * 1024;

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

const INTERESTING_BYTES = [
  0x00,
  0x01,
  0x7f,
  0x80,
  0xff,
  0x20,
  0x2d, /* - */
  0x30,
  0x39,
  0x3a, /* : */
  0x65, /* e */
  0x64, /* d */
  0x69, /* i */
  0x6c, /* l */
  0x25, /* % */
  0x26, /* & */
  0x3d, /* = */
  0x2b, /* + */
];
/** Big-endian 32-bit values at the edges of lengths, ids and counts. */
const INTERESTING_U32 = [
  0,
  1,
  2,
  5,
  9,
  13,
  16,
  17,
  0x7f,
  0x80,
  0xff,
  0x3fff,
  0x4000,
  0x4001,
  0x4009,
  0x400a,
  0x8000,
  0xffff,
  0x10000,
  0x20000,
  0x20001,
  0x100000,
  0x100001,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
];
/** Decimal numbers at the edges of what bencode and query parsers read. */
const INTERESTING_NUMBERS = [
  "0",
  "1",
  "-1",
  "00",
  "-0",
  "01",
  "19",
  "20",
  "21",
  "255",
  "256",
  "1023",
  "1024",
  "16384",
  "65535",
  "65536",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "9007199254740991",
  "9007199254740992",
  "-9007199254740991",
  "-9007199254740992",
  "1125899906842624",
  "1125899906842625",
  "18446744073709551616",
  "99999999999999999999999",
  "1e3",
  "+1",
  "0x10",
];

/** One mutation; positions are taken modulo the current length, so any number is valid. */
type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "byte"; at: number; value: number }
  | { kind: "add"; at: number; delta: number }
  | { kind: "u32"; at: number; value: number }
  | { kind: "number"; at: number; value: string }
  | { kind: "token"; at: number; token: Uint8Array; overwrite: boolean }
  | { kind: "tokens"; at: number; token: Uint8Array; times: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "repeat"; at: number; length: number; times: number }
  | { kind: "truncate"; at: number }
  | { kind: "splice"; at: number; other: number; otherAt: number }
  | { kind: "value"; at: number; from: number; token: boolean };

/** Where the values of a format stand in an input, as `[start, end)` byte ranges. */
export type ValueFinder = (input: Uint8Array) => readonly (readonly [number, number])[];

function mutationArbitrary(
  tokens: readonly Uint8Array[],
  seedCount: number,
  values: ValueFinder | undefined,
): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  // Mostly a few copies; sometimes thousands (nesting past a depth limit, a million messages).
  const repeats = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 16 }) },
    { weight: 1, arbitrary: fc.integer({ min: 17, max: 8192 }) },
  );
  const choices: fc.WeightedArbitrary<Mutation>[] = [
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("flip"), at, bit: fc.nat(7) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("byte"),
        at,
        value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat(255)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("add"),
        at,
        delta: fc.integer({ min: -35, max: 35 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("u32"),
        at,
        value: fc.constantFrom(...INTERESTING_U32),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("number"),
        at,
        value: fc.constantFrom(...INTERESTING_NUMBERS),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("insert"),
        at,
        bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("delete"),
        at,
        length: fc.integer({ min: 1, max: 64 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("repeat"),
        at,
        length: fc.integer({ min: 1, max: 32 }),
        times: repeats,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate"), at }) },
  ];
  if (tokens.length > 0) {
    choices.push({
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("token"),
        at,
        token: fc.constantFrom(...tokens),
        overwrite: fc.boolean(),
      }),
    }, {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("tokens"),
        at,
        token: fc.constantFrom(...tokens),
        times: repeats,
      }),
    });
  }
  if (seedCount > 1) {
    choices.push({
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("splice"),
        at,
        other: fc.nat(seedCount - 1),
        otherAt: fc.nat(),
      }),
    });
  }
  if (values) {
    choices.push({
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("value"),
        at,
        from: fc.nat(),
        token: tokens.length > 0 ? fc.boolean() : fc.constant(false),
      }),
    });
  }
  return fc.oneof(...choices);
}

const isDigit = (byte: number) => byte >= 0x30 && byte <= 0x39;

interface Context {
  readonly seeds: readonly Uint8Array[];
  readonly tokens: readonly Uint8Array[];
  readonly values?: ValueFinder;
}

/** Applies one mutation; returns a new array, never changing `input` or a seed. */
function apply(input: Uint8Array, mutation: Mutation, context: Context): Uint8Array {
  const length = input.length;
  const inside = mutation.at % Math.max(length, 1); // an existing byte
  const between = mutation.at % (length + 1); // a place between bytes
  switch (mutation.kind) {
    case "flip":
    case "byte":
    case "add": {
      if (length === 0) return input;
      const out = input.slice();
      if (mutation.kind === "flip") out[inside] ^= 1 << mutation.bit;
      else if (mutation.kind === "byte") out[inside] = mutation.value;
      else out[inside] += mutation.delta;
      return out;
    }
    case "u32": {
      const out = length >= 4 ? input.slice() : concat([input, new Uint8Array(4 - length)]);
      new DataView(out.buffer).setUint32(mutation.at % (out.length - 3), mutation.value);
      return out;
    }
    case "number": {
      // The digit run at or after the position (a string length, an integer), else an insertion.
      let start = inside;
      while (start < length && !isDigit(input[start])) start++;
      if (start === length) return concat([input, latin1(mutation.value)]);
      while (start > 0 && isDigit(input[start - 1])) start--;
      let end = start;
      while (end < length && isDigit(input[end])) end++;
      if (start > 0 && input[start - 1] === 0x2d) start--; // a sign goes with its digits
      return concat([input.subarray(0, start), latin1(mutation.value), input.subarray(end)]);
    }
    case "token": {
      const rest = mutation.overwrite ? between + mutation.token.length : between;
      return concat([input.subarray(0, between), mutation.token, input.subarray(rest)]);
    }
    case "insert":
      return concat([input.subarray(0, between), mutation.bytes, input.subarray(between)]);
    case "delete":
      return concat([input.subarray(0, between), input.subarray(between + mutation.length)]);
    case "repeat":
    case "tokens": {
      const range = mutation.kind === "tokens"
        ? mutation.token
        : input.subarray(between, between + mutation.length);
      const times = Math.min(
        mutation.times,
        Math.ceil(MAX_INPUT_LENGTH / Math.max(range.length, 1)),
      );
      const copies = Array.from({ length: times }, () => range);
      return concat([input.subarray(0, between), ...copies, input.subarray(between)]);
    }
    case "truncate":
      return input.subarray(0, between).slice();
    case "splice": {
      const other = context.seeds[mutation.other];
      return concat([
        input.subarray(0, between),
        other.subarray(mutation.otherAt % (other.length + 1)),
      ]);
    }
    case "value": {
      // One whole value replaced by another of the same input, or by a token.
      const spans = context.values?.(input) ?? [];
      if (spans.length === 0) return input;
      const [start, end] = spans[mutation.at % spans.length];
      let replacement: Uint8Array;
      if (mutation.token) {
        replacement = context.tokens[mutation.from % context.tokens.length];
      } else {
        const [fromStart, fromEnd] = spans[mutation.from % spans.length];
        replacement = input.subarray(fromStart, fromEnd);
      }
      return concat([input.subarray(0, start), replacement, input.subarray(end)]);
    }
  }
}

/**
 * Inputs for one target: mostly 1 to 8 mutations of one of `seeds`, some
 * seeds untouched, and some random bytes (the only inputs when there are no
 * seeds). Never longer than {@link MAX_INPUT_LENGTH}.
 *
 * @example
 * ```ts
 * fc.check(fc.property(fuzzInputs(seeds, ["4:info"]), (input) => { decode(input); }));
 * ```
 */
export function fuzzInputs(
  seeds: readonly Uint8Array[],
  tokens: readonly string[],
  values?: ValueFinder,
): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: 512 });
  if (seeds.length === 0) return random;
  const context: Context = { seeds, tokens: tokens.map(latin1), values };
  const stack = (mutation: fc.Arbitrary<Mutation>) =>
    fc.tuple(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 8 }))
      .map(([seed, mutations]) => {
        let input = seeds[seed];
        for (const mutation of mutations) {
          input = apply(input, mutation, context);
          if (input.length > MAX_INPUT_LENGTH) input = input.subarray(0, MAX_INPUT_LENGTH);
        }
        return input === seeds[seed] ? input.slice() : input;
      });
  const havoc = stack(mutationArbitrary(context.tokens, seeds.length, values));
  // Value swaps alone keep the format whole, so inputs get past the decoder to the checks.
  const structured = values
    ? stack(fc.record({
      kind: fc.constant("value" as const),
      at: fc.nat(),
      from: fc.nat(),
      token: tokens.length > 0 ? fc.boolean() : fc.constant(false),
    }))
    : havoc;
  return fc.oneof(
    { weight: 14, arbitrary: havoc },
    { weight: 6, arbitrary: structured },
    { weight: 1, arbitrary: fc.nat(seeds.length - 1).map((seed) => seeds[seed].slice()) },
    { weight: 1, arbitrary: random },
  );
}
