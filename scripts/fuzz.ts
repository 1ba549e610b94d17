// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno task fuzz [--seconds N] [--target NAME]... [--seed N] [--input-timeout MS]`:
 * feeds every target of `tests/fuzz/targets.ts` mutations of its seeds for
 * its share of N seconds (60 in all by default), and reports every input
 * on which a target throws anything but its module's own error class or
 * runs longer than the per-input cap. Each finding is printed (input in hex
 * and base64, error, stack, fast-check seed and path) and saved under
 * `tests/fuzz/findings/`.
 *
 * `deno task fuzz --replay FILE [--target NAME]` runs one input again.
 *
 * Exit code: 0 without findings, 1 with any, 2 for a bad command line or a
 * harness that could not run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_INPUT_TIMEOUT_MS,
  fuzzTarget,
  loadSeeds,
  replayInput,
  type TargetReport,
} from "./fuzz/engine.ts";
import { formatFinding, saveFinding, targetOfFindingFile, toBase64 } from "./fuzz/findings.ts";
import type { FuzzTarget } from "./fuzz/target.ts";
import { TARGETS } from "../tests/fuzz/targets.ts";

/** An input slower than this share of the per-input cap is shown, to be looked at. */
const SLOW_SHARE = 4;

const USAGE =
  `usage: deno task fuzz [--seconds N] [--target NAME]... [--seed N] [--input-timeout MS]
       deno task fuzz --replay FILE [--target NAME]
       deno task fuzz --list`;

function fail(message: string): never {
  console.error(`fuzz: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function positiveNumber(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`${flag} wants a positive number, not "${text}"`);
  return value;
}

/** A path as the person typed it, relative to where they are when it is below. */
function shown(path: string): string {
  const cwd = Deno.cwd() + "/";
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

function byName(name: string): FuzzTarget {
  const found = TARGETS.find((candidate) => candidate.name === name);
  if (!found) fail(`no target "${name}"; targets: ${TARGETS.map((t) => t.name).join(", ")}`);
  return found;
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string" },
      target: { type: "string", multiple: true },
      seed: { type: "string" },
      "input-timeout": { type: "string" },
      replay: { type: "string" },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (parsed.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (parsed.list) {
  for (const { name, corpora, allowed } of TARGETS) {
    const errors = allowed.map((errorClass) => errorClass.name).join(", ") || "none";
    console.log(`${name.padEnd(18)} seeds: ${corpora.join(", ")}; may throw: ${errors}`);
  }
  Deno.exit(0);
}
const inputTimeoutMs = positiveNumber(
  parsed["input-timeout"],
  "--input-timeout",
  DEFAULT_INPUT_TIMEOUT_MS,
);

if (parsed.replay !== undefined) {
  const file = parsed.replay;
  const name = parsed.target?.[0] ?? targetOfFindingFile(file);
  if (!name) fail(`which target is ${file} for? Name it with --target`);
  byName(name);
  let input: Uint8Array;
  try {
    input = await Deno.readFile(file);
  } catch (error) {
    fail(`cannot read ${file}: ${error instanceof Error ? error.message : error}`);
  }
  const result = await replayInput(name, input, { inputTimeoutMs });
  switch (result.outcome) {
    case "returned":
      console.log(`fuzz: ${name} returned on ${file} (${input.length} bytes): no finding`);
      Deno.exit(0);
      break;
    case "allowed":
      console.log(`fuzz: ${name} threw its own ${result.error.name} on ${file}: no finding`);
      console.log(`  ${result.error.message}`);
      Deno.exit(0);
      break;
    case "hang":
      console.error(`fuzz: FINDING: ${name} did not return within ${result.timeoutMs} ms`);
      Deno.exit(1);
      break;
    case "finding":
      console.error(`fuzz: FINDING: ${name} threw on ${file}:\n${result.error.stack}`);
      Deno.exit(1);
      break;
    case "broken":
      console.error(`fuzz: the harness could not run: ${result.error.stack}`);
      Deno.exit(2);
  }
}

const seconds = positiveNumber(parsed.seconds, "--seconds", 60);
const chosen = parsed.target ? [...new Set(parsed.target)].map(byName) : [...TARGETS];
const seed = parsed.seed === undefined
  ? Math.floor(Math.random() * 2 ** 31)
  : Number.isSafeInteger(Number(parsed.seed))
  ? Number(parsed.seed)
  : fail(`--seed wants an integer, not "${parsed.seed}"`);

console.log(
  `fuzz: ${chosen.length} targets, ${seconds} s in all, seed ${seed} ` +
    `(again: deno task fuzz --seed ${seed}), at most ${inputTimeoutMs} ms an input`,
);
const deadline = Date.now() + seconds * 1000;
const reports: TargetReport[] = [];
try {
  for (const [index, fuzzTargetEntry] of chosen.entries()) {
    const share = Math.max(0, deadline - Date.now()) / (chosen.length - index);
    const seeds = await loadSeeds(fuzzTargetEntry);
    const report = await fuzzTarget(fuzzTargetEntry, seeds, {
      searchMs: share,
      until: Date.now() + share,
      seed,
      inputTimeoutMs,
    });
    reports.push(report);
    const verdict = report.broken
      ? `HARNESS BROKEN: ${report.broken.message}`
      : report.finding
      ? "FINDING"
      : "ok";
    console.log(
      `fuzz: ${report.target.padEnd(18)} ${
        report.runs.toLocaleString("en-US").padStart(10)
      } inputs` +
        ` (${seeds.length} seeds) in ${(report.elapsedMs / 1000).toFixed(1)} s,` +
        ` slowest ${report.slowestMs.toFixed(1)} ms: ${verdict}`,
    );
    if (report.broken) console.error(report.broken.stack);
    if (report.slowestInput && report.slowestMs > inputTimeoutMs / SLOW_SHARE) {
      // No finding (a loaded machine or a collection can pause any input), but worth a look.
      console.log(
        `  slowest input (${report.slowestInput.length} bytes), to replay it: ` +
          `echo ${toBase64(report.slowestInput)} | base64 -d > slow.bin && ` +
          `deno task fuzz --replay slow.bin --target ${report.target}`,
      );
    }
    if (report.finding) {
      let saved: string | undefined;
      try {
        saved = shown(await saveFinding(report.finding));
      } catch (error) {
        console.error(`fuzz: could not save the finding: ${error}`);
      }
      console.error(formatFinding(report.finding, saved));
    }
  }
} catch (error) {
  // A harness fault is no finding: exit 2, not 1.
  console.error(`fuzz: the harness failed: ${error instanceof Error ? error.stack : error}`);
  Deno.exit(2);
}

const findings = reports.filter((report) => report.finding).length;
const broken = reports.filter((report) => report.broken).length;
const total = reports.reduce((sum, report) => sum + report.runs, 0);
console.log(
  `fuzz: ${findings} finding${findings === 1 ? "" : "s"} in ${chosen.length} targets` +
    ` (${total.toLocaleString("en-US")} inputs, seed ${seed})`,
);
Deno.exit(findings > 0 ? 1 : broken > 0 ? 2 : 0);
