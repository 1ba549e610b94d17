/**
 * The fuzz runner: a process of its own per target (started by the
 * engine), which runs the target in a worker and watches the input it is
 * on. When one input runs past the per-input cap it answers with that
 * input and exits. Deno's `Worker.terminate()` does not stop a worker
 * caught in a loop (its thread keeps a core busy until the process ends),
 * so ending the process is what really ends a hang.
 *
 * Reads a {@link RunnerRequest} as JSON on stdin; writes a
 * {@link TargetReport} or {@link ReplayOutcome} as JSON on stdout.
 *
 * @module
 */
import {
  type Finding,
  fromJson,
  InputWatcher,
  newWatchMemory,
  type ReplayOutcome,
  type RunnerRequest,
  type TargetReport,
  type ThrownError,
  toJson,
  type WorkerReport,
  type WorkerRequest,
} from "./protocol.ts";

/** How often the runner looks at the input its worker is on. */
const WATCH_INTERVAL_MS = 50;
/** Room for the worker to load its modules and report, beyond its own time. */
const WORKER_GRACE_MS = 30_000;

type WorkerOutcome =
  | { readonly kind: "report"; readonly report: WorkerReport; readonly found?: Finding }
  | { readonly kind: "hang"; readonly input: Uint8Array; readonly found?: Finding }
  | {
    readonly kind: "crash";
    readonly input: Uint8Array | null;
    readonly error: ThrownError;
    readonly found?: Finding;
  };

/**
 * Runs one request in a worker until its last report, or until an input
 * runs past `inputTimeoutMs` (a hang) or the worker dies (a crash), or
 * `limitMs` pass in all.
 */
function runWorker(
  request: WorkerRequest,
  inputTimeoutMs: number,
  limitMs: number,
): Promise<WorkerOutcome> {
  const watcher = new InputWatcher(request.memory);
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve) => {
    let found: Finding | undefined;
    let watched: number | null = null;
    let watchedSince = performance.now();
    const startedAt = performance.now();
    const finish = (outcome: WorkerOutcome) => {
      clearInterval(timer);
      worker.terminate();
      resolve(outcome);
    };
    const timer = setInterval(() => {
      const now = performance.now();
      const running = watcher.running();
      if (running !== null && running === watched) {
        if (now - watchedSince >= inputTimeoutMs) {
          finish({ kind: "hang", input: watcher.lastInput(), found });
        }
      } else {
        watched = running;
        watchedSince = now;
      }
      if (now - startedAt > limitMs) {
        const error = { name: "Timeout", message: `no report after ${limitMs} ms`, stack: "" };
        finish({ kind: "crash", input: null, error, found });
      }
    }, WATCH_INTERVAL_MS);
    worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      const report = event.data;
      if (report.kind === "found") found = report.finding;
      else finish({ kind: "report", report, found });
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const error = { name: "WorkerError", message: event.message, stack: event.message };
      finish({
        kind: "crash",
        input: watcher.count() > 0 ? watcher.lastInput() : null,
        error,
        found,
      });
    };
    worker.postMessage(request);
  });
}

async function fuzz(request: Extract<RunnerRequest, { kind: "fuzz" }>): Promise<TargetReport> {
  const started = performance.now();
  const memory = newWatchMemory();
  const outcome = await runWorker(
    { ...request, memory },
    request.inputTimeoutMs,
    request.searchMs + request.shrinkMs + WORKER_GRACE_MS,
  );
  const base = {
    target: request.target,
    seed: request.seed,
    runs: new InputWatcher(memory).count(),
    slowestMs: 0,
  };
  const elapsedMs = performance.now() - started;
  switch (outcome.kind) {
    case "report": {
      const { report } = outcome;
      if (report.kind === "done") {
        const { runs, slowestMs, slowestInput, finding } = report;
        return { ...base, runs, slowestMs, slowestInput, finding, elapsedMs };
      }
      const broken = report.kind === "broken"
        ? report.error
        : { name: "Error", message: `unexpected report ${report.kind}`, stack: "" };
      return { ...base, elapsedMs, broken };
    }
    case "hang": {
      // A hang while shrinking leaves the finding the search made.
      const finding: Finding = outcome.found ?? {
        target: request.target,
        kind: "hang",
        input: outcome.input,
        error: {
          name: "Hang",
          message: `no return after ${request.inputTimeoutMs} ms on one input`,
          stack: "(the target was stopped from outside: no stack)",
        },
      };
      return { ...base, slowestMs: request.inputTimeoutMs, elapsedMs, finding };
    }
    case "crash": {
      if (outcome.found) return { ...base, elapsedMs, finding: outcome.found };
      if (outcome.input === null) return { ...base, elapsedMs, broken: outcome.error };
      const finding: Finding = {
        target: request.target,
        kind: "crash",
        input: outcome.input,
        error: outcome.error,
      };
      return { ...base, elapsedMs, finding };
    }
  }
}

async function replay(request: Extract<RunnerRequest, { kind: "replay" }>): Promise<ReplayOutcome> {
  const outcome = await runWorker(
    { ...request, memory: newWatchMemory() },
    request.inputTimeoutMs,
    request.inputTimeoutMs + WORKER_GRACE_MS,
  );
  if (outcome.kind === "hang") return { outcome: "hang", timeoutMs: request.inputTimeoutMs };
  if (outcome.kind === "crash") {
    return outcome.input === null
      ? { outcome: "broken", error: outcome.error }
      : { outcome: "finding", error: outcome.error };
  }
  const { report } = outcome;
  if (report.kind === "replayed") {
    if (report.outcome === "returned") return { outcome: "returned" };
    return { outcome: report.outcome, error: report.error! };
  }
  if (report.kind === "broken") return { outcome: "broken", error: report.error };
  return {
    outcome: "broken",
    error: { name: "Error", message: `unexpected report ${report.kind}`, stack: "" },
  };
}

const request = fromJson<RunnerRequest>(await new Response(Deno.stdin.readable).text());
const answer = request.kind === "fuzz" ? await fuzz(request) : await replay(request);
const bytes = new TextEncoder().encode(toJson(answer) + "\n");
for (let written = 0; written < bytes.length;) {
  written += await Deno.stdout.write(bytes.subarray(written));
}
// Exiting ends the worker's thread too, even one still caught in a loop.
Deno.exit(0);
