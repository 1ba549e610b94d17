/**
 * The fuzz engine: runs each target in a runner process of its own
 * (`runner.ts`, which runs the target in a worker and stops it when one
 * input takes longer than the per-input cap), for its share of the time.
 * Used by `deno task fuzz` and by `tests/fuzz/fuzz_test.ts`.
 *
 * @module
 */
import {
  fromJson,
  type ReplayOutcome,
  type RunnerRequest,
  type TargetReport,
  type ThrownError,
  toJson,
} from "./protocol.ts";
import type { FuzzTarget } from "./target.ts";

export type { ReplayOutcome, TargetReport } from "./protocol.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const RUNNER = new URL("./runner.ts", import.meta.url).pathname;
/** The target table the CLI fuzzes. */
export const DEFAULT_TARGETS_MODULE = new URL("../../tests/fuzz/targets.ts", import.meta.url).href;
/** Where the seed corpora live: one folder per corpus, one file per input. */
export const SEEDS_DIR = `${ROOT}tests/fuzz/seeds/`;
/**
 * Longest one input may take. The targets parse at most 64 KiB in
 * microseconds; the rest is room for a shared, loaded machine.
 */
export const DEFAULT_INPUT_TIMEOUT_MS = 2000;
/** Time to shrink a finding, on top of the search time. */
export const DEFAULT_SHRINK_MS = 10_000;
/** Room for a runner to start, load its modules and answer, beyond its own time. */
const RUNNER_GRACE_MS = 60_000;

/** A seed input and the file it came from. */
export interface Seed {
  readonly file: string;
  readonly bytes: Uint8Array;
}

/** Every file of the target's corpora, in a stable order. */
export async function loadSeeds(fuzzTarget: FuzzTarget, seedsDir = SEEDS_DIR): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const corpus of fuzzTarget.corpora) {
    const dir = `${seedsDir}${corpus}`;
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
    for (const name of names.sort()) {
      seeds.push({ file: `${dir}/${name}`, bytes: await Deno.readFile(`${dir}/${name}`) });
    }
  }
  return seeds;
}

/**
 * The fast-check seed of one target in a run: derived from the run's seed
 * and the target's name, so `--target NAME --seed N` replays what NAME got
 * in a full run with `--seed N`.
 */
export function targetSeed(runSeed: number, name: string): number {
  let hash = (runSeed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** Settings of a fuzz run shared by every target. */
export interface FuzzSettings {
  /** The module whose `TARGETS` holds the target (default: `tests/fuzz/targets.ts`). */
  readonly targetsModule?: string;
  readonly inputTimeoutMs?: number;
  readonly shrinkMs?: number;
}

/** How long one target is fuzzed. */
export interface TargetRun extends FuzzSettings {
  /** Time for the search, from when the worker has loaded. */
  readonly searchMs: number;
  /** A `Date.now()` time the search ends by anyway, the runner's start-up included. */
  readonly until?: number;
  /** The run's seed; the target's own is derived from it ({@link targetSeed}). */
  readonly seed: number;
}

/** Runs `request` in a runner process, which answers with a `T` or fails. */
async function runRunner<T>(
  request: RunnerRequest,
  limitMs: number,
): Promise<{ answer: T } | { failed: ThrownError }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", `--config=${ROOT}deno.json`, RUNNER],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const message = `cannot start the fuzz runner: ${
      error instanceof Error ? error.message : error
    }`;
    return { failed: { name: "RunnerError", message, stack: message } };
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(toJson(request)));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const answer = new TextDecoder().decode(stdout).trim();
    if (code === 0 && answer !== "") return { answer: fromJson<T>(answer) };
    const said = new TextDecoder().decode(stderr).trim();
    const message = `the fuzz runner exited ${code}${said ? `: ${said}` : " without answering"}`;
    return { failed: { name: "RunnerError", message, stack: message } };
  } finally {
    clearTimeout(killer);
  }
}

/**
 * Fuzzes one target for `searchMs` (and until `until` at the latest),
 * plus the time to shrink a finding.
 *
 * @example
 * ```ts
 * const report = await fuzzTarget(target, seeds, { searchMs: 5000, seed: 1 });
 * if (report.finding) console.error(formatFinding(report.finding));
 * ```
 */
export async function fuzzTarget(
  fuzzTarget: FuzzTarget,
  seeds: readonly Seed[],
  run: TargetRun,
): Promise<TargetReport> {
  const started = performance.now();
  const seed = targetSeed(run.seed, fuzzTarget.name);
  const shrinkMs = run.shrinkMs ?? DEFAULT_SHRINK_MS;
  const result = await runRunner<TargetReport>(
    {
      kind: "fuzz",
      targetsModule: run.targetsModule ?? DEFAULT_TARGETS_MODULE,
      target: fuzzTarget.name,
      seeds: seeds.map((entry) => entry.bytes),
      seed,
      searchMs: run.searchMs,
      searchUntil: run.until,
      shrinkMs,
      inputTimeoutMs: run.inputTimeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS,
    },
    run.searchMs + shrinkMs + RUNNER_GRACE_MS,
  );
  const elapsedMs = performance.now() - started;
  if ("failed" in result) {
    return {
      target: fuzzTarget.name,
      seed,
      runs: 0,
      slowestMs: 0,
      elapsedMs,
      broken: result.failed,
    };
  }
  return { ...result.answer, elapsedMs };
}

/**
 * Runs a target once on `input`, in a runner under the same per-input cap.
 *
 * @example
 * ```ts
 * const result = await replayInput("wire", await Deno.readFile(file));
 * ```
 */
export async function replayInput(
  targetName: string,
  input: Uint8Array,
  settings: FuzzSettings = {},
): Promise<ReplayOutcome> {
  const inputTimeoutMs = settings.inputTimeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS;
  const result = await runRunner<ReplayOutcome>(
    {
      kind: "replay",
      targetsModule: settings.targetsModule ?? DEFAULT_TARGETS_MODULE,
      target: targetName,
      input,
      inputTimeoutMs,
    },
    inputTimeoutMs + RUNNER_GRACE_MS,
  );
  return "failed" in result ? { outcome: "broken", error: result.failed } : result.answer;
}
