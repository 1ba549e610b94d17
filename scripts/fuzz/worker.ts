/**
 * The fuzz worker: runs one target under fast-check in a thread of its own,
 * so that the engine can terminate it when an input hangs. It searches
 * without shrinking until its time is up or an input fails, reports that
 * input at once, then shrinks it within a time of its own.
 *
 * @module
 */
import { fc } from "./fast_check.ts";
import { fuzzInputs } from "./mutate.ts";
import {
  describeThrown,
  type Finding,
  InputRecorder,
  type ThrownError,
  type WorkerReport,
  type WorkerRequest,
} from "./protocol.ts";
import { type FuzzTarget, isAllowed } from "./target.ts";

// Deeper stacks than V8's 10 frames: a finding's cause is often well below the top.
Error.stackTraceLimit = 40;

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(report: WorkerReport): void;
};

async function findTarget(targetsModule: string, name: string): Promise<FuzzTarget> {
  const { TARGETS } = await import(targetsModule) as { TARGETS: readonly FuzzTarget[] };
  const found = TARGETS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no fuzz target "${name}" in ${targetsModule}`);
  return found;
}

/** Runs the target once; rethrows only what the target may not throw. */
function runChecked(fuzzTarget: FuzzTarget, input: Uint8Array): { allowedError?: unknown } {
  try {
    fuzzTarget.run(input);
    return {};
  } catch (error) {
    if (isAllowed(fuzzTarget, error)) return { allowedError: error };
    throw error;
  }
}

function fuzz(fuzzTarget: FuzzTarget, request: Extract<WorkerRequest, { kind: "fuzz" }>): void {
  const recorder = new InputRecorder(request.memory);
  let slowestMs = 0;
  let slowestInput: Uint8Array | undefined;
  const check = (input: Uint8Array) => {
    recorder.begin(input);
    const started = performance.now();
    try {
      runChecked(fuzzTarget, input);
    } finally {
      const took = performance.now() - started;
      if (took > slowestMs) [slowestMs, slowestInput] = [took, input.slice()];
      recorder.end();
    }
  };
  // Every seed as it is, first and whatever the time: a seed that fails needs no mutation.
  for (const [index, seed] of request.seeds.entries()) {
    const error = failureOf(check, seed.slice());
    if (error) {
      const finding: Finding = { target: fuzzTarget.name, kind: "error", input: seed, error };
      scope.postMessage({ kind: "done", runs: index + 1, slowestMs, slowestInput, finding });
      return;
    }
  }
  const property = fc.property(
    fuzzInputs(request.seeds, fuzzTarget.tokens, fuzzTarget.values),
    check,
  );
  const parameters = {
    seed: request.seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    markInterruptAsFailure: false,
  };
  const search = fc.check(property, {
    ...parameters,
    interruptAfterTimeLimit: Math.max(
      1,
      Math.min(request.searchMs, (request.searchUntil ?? Infinity) - Date.now()),
    ),
    endOnFailure: true,
  });
  const runs = request.seeds.length + search.numRuns;
  if (!search.failed || search.counterexample === null) {
    scope.postMessage({ kind: "done", runs, slowestMs, slowestInput });
    return;
  }
  const found: Finding = {
    target: fuzzTarget.name,
    kind: "error",
    input: search.counterexample[0],
    error: trimmed(describeThrown(search.errorInstance)),
    seed: search.seed,
    path: search.counterexamplePath ?? undefined,
  };
  scope.postMessage({ kind: "found", finding: found });
  const shrinkUntil = performance.now() + request.shrinkMs;
  // Half the time for fast-check, replaying the same path with shrinking on (fewer and
  // smaller mutations), the rest for cutting bytes out of what it leaves.
  const shrunk = fc.check(property, {
    ...parameters,
    path: found.path,
    interruptAfterTimeLimit: Math.max(1, request.shrinkMs / 2),
  });
  const finding: Finding = shrunk.failed && shrunk.counterexample !== null
    ? {
      ...found,
      input: shrunk.counterexample[0],
      error: trimmed(describeThrown(shrunk.errorInstance)),
      shrinks: shrunk.numShrinks,
      originalLength: found.input.length,
    }
    : found;
  scope.postMessage({
    kind: "done",
    runs,
    slowestMs,
    slowestInput,
    finding: minimize(finding, check, shrinkUntil),
  });
}

/** What `check` throws on `input` (the stack cut to the target's frames), or null. */
function failureOf(check: (input: Uint8Array) => void, input: Uint8Array): ThrownError | null {
  try {
    check(input);
    return null;
  } catch (error) {
    return trimmed(describeThrown(error));
  }
}

/**
 * The stack up to the harness's own frames, with runs of one frame (a
 * stack overflow's) folded into one line.
 */
function trimmed(error: ThrownError): ThrownError {
  const lines = error.stack.split("\n");
  const harness = lines.findIndex((line) => line.includes("/scripts/fuzz/worker.ts"));
  const kept = harness > 0 ? lines.slice(0, harness) : lines;
  const folded: string[] = [];
  for (let i = 0; i < kept.length;) {
    let j = i + 1;
    while (j < kept.length && kept[j] === kept[i]) j++;
    folded.push(j - i > 2 ? `${kept[i]}  (${j - i} times)` : kept[i]);
    if (j - i === 2) folded.push(kept[i]);
    i = j;
  }
  return { ...error, stack: folded.join("\n") };
}

/**
 * An error's identity for shrinking: its class and the frame that threw; a
 * stack overflow's by its message alone, as it can run out in any frame.
 */
function signature(error: ThrownError): string {
  if (error.name === "RangeError" && /call stack/i.test(error.message)) return error.message;
  const frame = error.stack.split("\n").find((line) => line.trim().startsWith("at ")) ?? "";
  return `${error.name} ${frame.trim()}`;
}

function without(input: Uint8Array, at: number, length: number): Uint8Array {
  const out = new Uint8Array(input.length - Math.min(length, input.length - at));
  out.set(input.subarray(0, at));
  out.set(input.subarray(at + length), at);
  return out;
}

/**
 * Cuts ranges of bytes out of a finding's input, halving their size, for as
 * long as it still fails the same way and there is time.
 */
function minimize(
  finding: Finding,
  check: (input: Uint8Array) => void,
  until: number,
): Finding {
  const wanted = signature(finding.error);
  let { input, error } = finding;
  let steps = 0;
  for (let chunk = Math.max(1, input.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let at = 0; at < input.length;) {
      if (performance.now() > until) break;
      const candidate = without(input, at, chunk);
      const failure = failureOf(check, candidate);
      if (failure && signature(failure) === wanted) {
        [input, error] = [candidate, failure];
        steps++;
      } else {
        at += chunk;
      }
    }
  }
  if (steps === 0) return finding;
  return {
    ...finding,
    input,
    error,
    shrinks: (finding.shrinks ?? 0) + steps,
    originalLength: finding.originalLength ?? finding.input.length,
  };
}

function replay(fuzzTarget: FuzzTarget, request: Extract<WorkerRequest, { kind: "replay" }>): void {
  const recorder = new InputRecorder(request.memory);
  recorder.begin(request.input);
  let report: WorkerReport;
  try {
    const { allowedError } = runChecked(fuzzTarget, request.input);
    report = allowedError === undefined
      ? { kind: "replayed", outcome: "returned" }
      : { kind: "replayed", outcome: "allowed", error: describeThrown(allowedError) };
  } catch (error) {
    report = { kind: "replayed", outcome: "finding", error: trimmed(describeThrown(error)) };
  }
  recorder.end();
  scope.postMessage(report);
}

scope.onmessage = async (event) => {
  const request = event.data;
  try {
    const fuzzTarget = await findTarget(request.targetsModule, request.target);
    if (request.kind === "fuzz") fuzz(fuzzTarget, request);
    else replay(fuzzTarget, request);
  } catch (error) {
    scope.postMessage({ kind: "broken", error: describeThrown(error) });
  }
};
