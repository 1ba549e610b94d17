// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * Timing and peak memory of whole commands, for benchmarks run side by
 * side: every figure is the median wall time of several runs and the
 * largest peak resident set size seen (GNU time's %M).
 *
 * @module
 */

/** One measured command. */
export interface Measurement {
  readonly label: string;
  /** Median wall time, seconds. */
  readonly seconds: number;
  /** Largest peak resident memory over the runs, bytes. */
  readonly peakBytes: number;
  /** Median of each figure the command reported on stdout (see `measure`'s `figures`). */
  readonly figures: Readonly<Record<string, number>>;
}

/** Reads named figures (e.g. seconds to a milestone) from one run's stdout. */
export type FigureReader = (stdout: string) => Record<string, number>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs `command` `runs` times under GNU time and returns its median time and
 * peak memory, and the median of each figure `figures` reads from its stdout.
 * A failing run aborts the benchmark with the command's output.
 */
export async function measure(
  label: string,
  command: string[],
  options: { runs: number; cwd?: string; before?: () => Promise<void>; figures?: FigureReader },
): Promise<Measurement> {
  const times: number[] = [];
  const figures: Record<string, number[]> = {};
  let peakBytes = 0;
  const report = await Deno.makeTempFile({ prefix: "p2p-bench-time-" });
  try {
    for (let run = 0; run < options.runs; run++) {
      await options.before?.();
      const output = await new Deno.Command(GNU_TIME, {
        args: ["-f", "%e %M", "-o", report, ...command],
        cwd: options.cwd,
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!output.success) {
        const stderr = new TextDecoder().decode(output.stderr);
        throw new Error(`${label} failed (exit ${output.code}): ${stderr.slice(-2000)}`);
      }
      const [seconds, kilobytes] = (await Deno.readTextFile(report)).trim().split("\n").at(-1)!
        .split(" ").map(Number);
      times.push(seconds);
      peakBytes = Math.max(peakBytes, kilobytes * 1024);
      const read = options.figures?.(new TextDecoder().decode(output.stdout)) ?? {};
      for (const [name, value] of Object.entries(read)) (figures[name] ??= []).push(value);
    }
  } finally {
    await Deno.remove(report);
  }
  return {
    label,
    seconds: median(times),
    peakBytes,
    figures: Object.fromEntries(
      Object.entries(figures).map(([name, values]) => [name, median(values)]),
    ),
  };
}

/** Prints measurements as a table, with each time as a ratio to the first row. */
export function printTable(title: string, rows: readonly Measurement[]): void {
  console.log(`\n${title}`);
  console.log(
    `  ${"program".padEnd(34)}${"time".padStart(9)}${"ratio".padStart(8)}${"peak".padStart(10)}`,
  );
  for (const row of rows) {
    const ratio = row.seconds / rows[0].seconds;
    console.log(
      `  ${row.label.padEnd(34)}${row.seconds.toFixed(2).padStart(8)}s${
        ratio.toFixed(2).padStart(8)
      }${(row.peakBytes / 2 ** 20).toFixed(0).padStart(6)} MiB`,
    );
  }
}

/**
 * Prints measurements as a table of the named figures (seconds; "-" where a
 * row has none), then each row's wall time and peak memory.
 */
export function printFigureTable(
  title: string,
  rows: readonly Measurement[],
  columns: readonly { figure: string; heading: string }[],
): void {
  console.log(`\n${title}`);
  const headings = [...columns.map((column) => column.heading), "wall"];
  console.log(
    `  ${"program".padEnd(34)}${headings.map((h) => h.padStart(10)).join("")}${
      "peak".padStart(10)
    }`,
  );
  for (const row of rows) {
    const cells = [...columns.map((column) => row.figures[column.figure]), row.seconds]
      .map((value) => (value === undefined ? "-" : `${value.toFixed(2)}s`).padStart(10));
    console.log(
      `  ${row.label.padEnd(34)}${cells.join("")}${
        (row.peakBytes / 2 ** 20).toFixed(0).padStart(6)
      } MiB`,
    );
  }
}

/**
 * Memory for a target line: MiB as the tables print it, and decimal MB,
 * the unit the targets are stated in ("under 100 MB" is 95.4 MiB).
 */
export function formatMemory(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB = ${(bytes / 1e6).toFixed(0)} MB`;
}

/** Prints whether a target holds, as PASS or MISS with the figure. */
export function printTarget(description: string, holds: boolean, figure: string): void {
  console.log(`  ${holds ? "PASS" : "MISS"}  ${description}: ${figure}`);
}

/** Writes `bytes` of random data to `path` unless a file of that size is already there. */
export async function ensureRandomFile(path: string, bytes: number): Promise<void> {
  const existing = await Deno.stat(path).catch(() => null);
  if (existing?.size === bytes) return;
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const chunk = new Uint8Array(1 << 20);
    for (let written = 0; written < bytes; written += chunk.length) {
      for (let i = 0; i < chunk.length; i += 65536) {
        crypto.getRandomValues(chunk.subarray(i, i + 65536));
      }
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
      for (let done = 0; done < part.length;) done += await file.write(part.subarray(done));
    }
  } finally {
    file.close();
  }
}

/** Reads a file once so every contender starts from a warm page cache. */
export async function warmCache(path: string): Promise<void> {
  const file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  while ((await file.read(buffer)) !== null) { /* reading is the point */ }
  file.close();
}
