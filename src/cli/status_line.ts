import type { CliEnv } from "./env.ts";

/** How often a terminal's status line is redrawn. */
const TERMINAL_REFRESH_MS = 1000;
/** How often a plain status line is printed when stderr is not a terminal. */
const PLAIN_REFRESH_MS = 10_000;

/**
 * A status line on stderr: redrawn in place every second on a terminal,
 * printed every ten seconds otherwise, silent with `quiet`.
 *
 * @returns a function that stops it (and ends the terminal line).
 * @example
 * ```ts
 * const stop = startStatusLine(env, () => `3 peers, up 1.2 MiB/s`, false);
 * ```
 */
export function startStatusLine(env: CliEnv, render: () => string, quiet: boolean): () => void {
  if (quiet) return () => {};
  let shown = false;
  const timer = setInterval(() => {
    if (env.interactive) {
      env.stderr.write(`\r\x1b[2K${render()}`);
      shown = true;
    } else {
      env.stderr.write(`${render()}\n`);
    }
  }, env.interactive ? TERMINAL_REFRESH_MS : PLAIN_REFRESH_MS);
  return () => {
    clearInterval(timer);
    if (shown) env.stderr.write("\r\x1b[2K");
  };
}
