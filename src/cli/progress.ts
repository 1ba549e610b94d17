import process from "node:process";
import type { CliEnv } from "./env.ts";
import { formatBytes } from "./format.ts";

/** A byte counter shown to people while work runs. */
export interface ByteProgress {
  advance(bytes: number): void;
  stop(): void;
}

const SILENT: ByteProgress = { advance() {}, stop() {} };

/**
 * A progress bar on stderr when it is a terminal (cli-progress, loaded only
 * then: it costs 4 ms of start-up), nothing otherwise: logs and pipes get
 * the step lines alone.
 *
 * @example
 * ```ts
 * const bar = await byteProgress(env, "Hashing", totalBytes, quiet);
 * bar.advance(1 << 20);
 * bar.stop();
 * ```
 */
export async function byteProgress(
  env: CliEnv,
  label: string,
  totalBytes: number,
  quiet: boolean,
): Promise<ByteProgress> {
  if (quiet || !env.interactive || totalBytes === 0) return SILENT;
  const { default: cliProgress } = await import("cli-progress");
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format:
      `${label} [{bar}] {percentage}% | {done} of {total_text} | {rate}/s | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  let done = 0;
  const payload = () => ({
    done: formatBytes(done),
    total_text: formatBytes(totalBytes),
    rate: formatBytes(done / Math.max((performance.now() - started) / 1000, 0.001)),
  });
  bar.start(totalBytes, 0, payload());
  return {
    advance(bytes: number) {
      done += bytes;
      bar.update(done, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
