import process from "node:process";

/** Where output goes: a sink for text. */
export interface TextSink {
  write(text: string): void;
}

/**
 * Everything a command may touch of the outside world, passed in so that
 * commands run in-process in tests against a temporary directory.
 */
export interface CliEnv {
  /** Arguments after the program name. */
  readonly args: readonly string[];
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** Results for scripts. */
  readonly stdout: TextSink;
  /** Progress and messages for people. */
  readonly stderr: TextSink;
  /** True when stderr is a terminal: progress bars instead of plain lines. */
  readonly interactive: boolean;
  /** The clock, for creation dates. */
  readonly now: () => Date;
  /**
   * A signal aborted when the user asks a long-running command to stop
   * (SIGINT or SIGTERM); its reason is the signal's name. Commands that run
   * until stopped call it; others leave Ctrl-C its default meaning.
   */
  readonly stopRequested: () => AbortSignal;
  /**
   * Reads an environment variable (`P2P_NO_DISCOVERY`, `XDG_DATA_HOME`,
   * `HOME`). Without it, as in tests run in-process, p2p discovers nothing
   * on its own: no public DHT routers, no local service discovery.
   */
  readonly getEnv?: (name: string) => string | undefined;
}

/**
 * The environment of the running process.
 *
 * @example
 * ```ts
 * const code = await runCli(processEnv());
 * ```
 */
export function processEnv(): CliEnv {
  const encoder = new TextEncoder();
  const sink = (stream: typeof Deno.stdout): TextSink => ({
    write(text: string) {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
    },
  });
  return {
    args: Deno.args,
    cwd: process.cwd(),
    stdout: sink(Deno.stdout),
    stderr: sink(Deno.stderr),
    interactive: Deno.stderr.isTerminal(),
    now: () => new Date(),
    getEnv: (name) => Deno.env.get(name),
    stopRequested: () => {
      const controller = new AbortController();
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        Deno.addSignalListener(signal, () => controller.abort(signal));
      }
      return controller.signal;
    },
  };
}
