import assert from "node:assert/strict";
import { fc } from "../../scripts/fuzz/fast_check.ts";
import {
  fuzzTarget,
  loadSeeds,
  replayInput,
  type Seed,
  targetSeed,
} from "../../scripts/fuzz/engine.ts";
import {
  formatFinding,
  saveFinding,
  targetOfFindingFile,
  toBase64,
} from "../../scripts/fuzz/findings.ts";
import { fuzzInputs, MAX_INPUT_LENGTH } from "../../scripts/fuzz/mutate.ts";
import { TARGETS } from "./targets.ts";
import { TARGETS as HARNESS_TARGETS, TRIGGER } from "./harness_targets.ts";

/** Each real target's share of the test run: enough to exercise it, not to hunt. */
const SECONDS_PER_TARGET = 1;
const HARNESS_MODULE = new URL("./harness_targets.ts", import.meta.url).href;
const text = (value: string) => new TextEncoder().encode(value);

for (const entry of TARGETS) {
  Deno.test(`fuzz ${entry.name}: its seeds and ${SECONDS_PER_TARGET} s of mutations find nothing`, async () => {
    const seeds = await loadSeeds(entry);
    assert.ok(seeds.length > 0, `no seeds in tests/fuzz/seeds/{${entry.corpora.join(",")}}`);
    const report = await fuzzTarget(entry, seeds, {
      searchMs: SECONDS_PER_TARGET * 1000,
      seed: 1,
      // Beside the rest of the suite on two cores a slow moment is no hang: the fuzz task hunts those.
      inputTimeoutMs: 10_000,
    });
    assert.equal(report.broken, undefined, report.broken?.stack);
    assert.equal(report.finding, undefined, report.finding && formatFinding(report.finding));
    assert.ok(report.runs > seeds.length, `only ${report.runs} inputs ran`);
  });
}

function harnessTarget(name: string) {
  return HARNESS_TARGETS.find((entry) => entry.name === name)!;
}

const harnessSeeds: Seed[] = [{ file: "hello", bytes: text("hello, fuzzer") }];

async function fuzzHarness(name: string, seeds = harnessSeeds, inputTimeoutMs = 2000) {
  return await fuzzTarget(harnessTarget(name), seeds, {
    targetsModule: HARNESS_MODULE,
    searchMs: 5000,
    seed: 7,
    inputTimeoutMs,
    shrinkMs: 2000,
  });
}

Deno.test("fuzz harness: a wrong error class is a finding, shrunk, with fast-check's replay data", async () => {
  const report = await fuzzHarness("type-error");
  const finding = report.finding;
  assert.ok(finding, "the TypeError was not found");
  assert.equal(finding.kind, "error");
  assert.equal(finding.error.name, "TypeError");
  assert.match(finding.error.stack, /typeErrorOnTrigger/);
  assert.deepEqual(finding.input, new Uint8Array([TRIGGER]), "not shrunk to the one byte");
  assert.ok(!finding.error.stack.includes("fast-check"), "the stack keeps the harness's frames");
  assert.equal(typeof finding.seed, "number");
  assert.match(finding.path ?? "", /^\d+(:\d+)*$/);
  const replayed = await replayInput("type-error", finding.input, {
    targetsModule: HARNESS_MODULE,
  });
  assert.equal(replayed.outcome, "finding");
});

Deno.test("fuzz harness: a stack overflow is a finding", async () => {
  const report = await fuzzHarness("stack-overflow");
  assert.equal(report.finding?.error.name, "RangeError");
  assert.match(report.finding.error.message, /call stack/);
  assert.match(report.finding.error.stack, /at depth .*\(\d+ times\)/);
});

Deno.test("fuzz harness: an input that hangs is a finding, caught by the per-input cap", async () => {
  const started = performance.now();
  const report = await fuzzHarness("hang", harnessSeeds, 300);
  assert.equal(report.finding?.kind, "hang");
  assert.ok(report.finding.input.includes(TRIGGER));
  assert.ok(performance.now() - started < 5000, "the hang outlived its cap");
  const seedThatHangs = [{ file: "nul", bytes: new Uint8Array([TRIGGER]) }];
  const onSeed = await fuzzHarness("hang", seedThatHangs, 300);
  assert.deepEqual(onSeed.finding?.input, new Uint8Array([TRIGGER]));
  const replayed = await replayInput("hang", onSeed.finding.input, {
    targetsModule: HARNESS_MODULE,
    inputTimeoutMs: 300,
  });
  assert.equal(replayed.outcome, "hang");
});

Deno.test("fuzz harness: the module's documented error is no finding", async () => {
  const report = await fuzzTarget(harnessTarget("documented-error"), harnessSeeds, {
    targetsModule: HARNESS_MODULE,
    searchMs: 300,
    seed: 7,
  });
  assert.equal(report.finding, undefined);
  assert.equal(report.broken, undefined);
  assert.ok(report.runs > 1);
  const replayed = await replayInput("documented-error", text("x"), {
    targetsModule: HARNESS_MODULE,
  });
  assert.deepEqual(replayed.outcome, "allowed");
});

Deno.test("fuzz harness: a finding is saved for --replay under a name that says its target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2p-fuzz-test-" });
  try {
    const finding = {
      target: "announce-query",
      kind: "error" as const,
      input: new Uint8Array([0, 1, 0xff]),
      error: { name: "TypeError", message: "boom", stack: "TypeError: boom\n    at here" },
      seed: 3,
      path: "4:1",
    };
    const file = await saveFinding(finding, `${dir}/`);
    assert.match(file, /\/announce-query-[0-9a-f]{12}\.bin$/);
    assert.equal(targetOfFindingFile(file), "announce-query");
    assert.deepEqual(await Deno.readFile(file), finding.input);
    const report = await Deno.readTextFile(file.replace(/\.bin$/, ".txt"));
    assert.match(report, /hex {4}0001ff/);
    assert.ok(report.includes(`base64 ${toBase64(finding.input)}`));
    assert.ok(report.includes(`deno task fuzz --replay ${file}`));
    assert.equal(targetOfFindingFile("tests/fuzz/seeds/wire/have.bin"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fuzz harness: the same seed gives the same inputs, within the length limit", () => {
  const seeds = [text("d3:fooi42ee"), text("l4:spame")];
  const inputs = fuzzInputs(seeds, ["i-1e", "0:"]);
  const first = fc.sample(inputs, { seed: 42, numRuns: 500 });
  assert.deepEqual(fc.sample(inputs, { seed: 42, numRuns: 500 }), first);
  assert.ok(first.every((input) => input.length <= MAX_INPUT_LENGTH));
  assert.ok(new Set(first.map((input) => input.join(","))).size > 250, "too few distinct inputs");
  assert.notEqual(targetSeed(1, "wire"), targetSeed(1, "bencode"));
  assert.equal(targetSeed(1, "wire"), targetSeed(1, "wire"));
});
