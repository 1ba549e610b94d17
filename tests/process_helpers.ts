/**
 * Running `p2p` as a real subprocess: for behaviour that crosses a process
 * boundary (signals, SIGKILL, real clients talking to us).
 *
 * @module
 */

/**
 * Every p2p this module starts (and any child of this process) discovers
 * nothing on its own: no public DHT routers, no local discovery multicast
 * (see `P2P_NO_DISCOVERY` in src/cli/discovery.ts). Set here, where the
 * processes are started, so that no test can forget it.
 */
Deno.env.set("P2P_NO_DISCOVERY", "1");

const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** `deno` arguments that run p2p from source. */
const RUN_P2P = ["run", "--allow-all", MAIN];

/** How each line of a `-v` log starts: its time (ISO 8601, UTC), as a regular expression's source. */
export const LOG_TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ";

/** A running `p2p` process with its stdout lines and stderr collected. */
export interface P2pProcess {
  readonly child: Deno.ChildProcess;
  /** Resolves with the first stdout line that matches, or rejects after `ms`. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Every complete stdout line so far. */
  stdoutLines(): string[];
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Starts `p2p ARGS` in `cwd`. The caller must `stop()` it (tests do so in `finally`). */
export function spawnP2p(cwd: string, ...args: string[]): P2pProcess {
  return start(cwd, args, "null");
}

/**
 * Starts `p2p ARGS` in `cwd` through a wrapper command (`ip netns exec NAME`,
 * to run it on another host a test made). The caller must `stop()` it.
 */
export function spawnP2pThrough(wrapper: string[], cwd: string, ...args: string[]): P2pProcess {
  return start(cwd, args, "null", wrapper);
}

/**
 * Runs `p2p ARGS` to the end on a pseudo-terminal (util-linux `script`),
 * where progress bars are drawn and questions asked. `typed` is what the
 * user types, once the screen shows `typeAfter` if given (so the program
 * reads it keystroke by keystroke, not as lines the terminal already
 * edited), or a list of steps, each typed once the screen shows its
 * pattern after the step before. Resolves with the exit code and
 * everything the terminal showed.
 */
export async function runP2pOnTerminal(
  cwd: string,
  args: string[],
  typed: string | TerminalStep[] = "",
  typeAfter?: RegExp,
): Promise<{ code: number; screen: string }> {
  const steps: TerminalStep[] = typeof typed === "string" ? [[typeAfter ?? /(?:)/, typed]] : typed;
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const commandLine = [Deno.execPath(), ...RUN_P2P, ...args].map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", commandLine, "/dev/null"],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", P2P_NO_DISCOVERY: "1" },
  }).spawn();
  // Bounded: a program left waiting for input is killed after a minute.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const writer = child.stdin.getWriter();
  let screen = "";
  // Each step waits for its pattern in what the screen showed since the step before.
  let step = 0;
  let seenUpTo = 0;
  let typing: Promise<unknown> = Promise.resolve();
  const typeDue = () => {
    while (step < steps.length && steps[step][0].test(screen.slice(seenUpTo))) {
      const text = steps[step++][1];
      seenUpTo = screen.length;
      typing = typing.then(() => writer.write(new TextEncoder().encode(text))).catch(() => {});
    }
  };
  typeDue();
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    screen += decoder.decode(chunk, { stream: true });
    typeDue();
  }
  const { code } = await child.status.finally(() => clearTimeout(deadline));
  await typing;
  await writer.close().catch(() => {});
  return { code, screen };
}

/** What a user types on a terminal (the text) once the screen shows something (the pattern). */
export type TerminalStep = [RegExp, string];

/** A `p2p` process whose standard input the test writes, line by line. */
export interface InteractiveP2p extends P2pProcess {
  /** Writes one line to its standard input. */
  send(line: string): Promise<void>;
  /** Closes its standard input (Ctrl-D). */
  end(): Promise<void>;
}

/** Starts `p2p ARGS` in `cwd` with a standard input to type into. */
export function spawnInteractive(cwd: string, ...args: string[]): InteractiveP2p {
  const process = start(cwd, args, "piped");
  const writer = process.child.stdin.getWriter();
  return {
    ...process,
    send: (line) => writer.write(new TextEncoder().encode(`${line}\n`)),
    end: () => writer.close(),
  };
}

function start(
  cwd: string,
  args: string[],
  stdin: "null" | "piped",
  wrapper: string[] = [],
): P2pProcess {
  const command = [...wrapper, Deno.execPath(), ...RUN_P2P, ...args];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", P2P_NO_DISCOVERY: "1" },
  }).spawn();
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  let stderrText = "";
  const pump = async (stream: ReadableStream<Uint8Array>, onText: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  };
  let partial = "";
  const stdoutDone = pump(child.stdout, (text) => {
    partial += text;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        const match = line.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    }
  });
  const stderrDone = pump(child.stderr, (text) => (stderrText += text));
  return {
    child,
    waitForLine(pattern, ms = 15_000) {
      const seen = lines.map((line) => line.match(pattern)).find((m) => m);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line ${pattern} within ${ms} ms; stderr:\n${stderrText}`)),
          ms,
        );
        waiters.push({
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
      });
    },
    stderr: () => stderrText,
    stdoutLines: () => [...lines, ...(partial ? [partial] : [])],
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const status = await child.status;
      await Promise.all([stdoutDone, stderrDone]);
      return status;
    },
  };
}

/** Starts `p2p tracker` on a free port with `dataDir`; returns the process and its announce URL. */
export async function spawnTracker(
  cwd: string,
  dataDir: string,
  ...extra: string[]
): Promise<{ tracker: P2pProcess; announceUrl: string }> {
  const tracker = spawnP2p(cwd, "tracker", "-p", "0", "-d", dataDir, ...extra);
  try {
    const [, announceUrl] = await tracker.waitForLine(/^listening on (\S+)$/);
    return { tracker, announceUrl };
  } catch (error) {
    await tracker.stop("SIGKILL");
    throw error;
  }
}

/** Runs `p2p ARGS` in `cwd` with `input` as its standard input (bytes, as piped), to completion. */
export async function runP2pWithInput(
  cwd: string,
  input: Uint8Array,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...RUN_P2P, ...args],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", P2P_NO_DISCOVERY: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input).catch(() => {});
  await writer.close().catch(() => {});
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}
