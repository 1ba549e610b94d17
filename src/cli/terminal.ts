/**
 * The one owner of a command's stderr. On a terminal it keeps at most one
 * live line at the bottom (a progress bar or a status line), redrawn in
 * place, and writes every other line above it: step lines, log lines and
 * the final error never land inside the bar, and the bar never moves the
 * cursor over them. Lines are cut to the terminal's width, so none wraps
 * (a wrapped live line would leave its first half behind at each redraw).
 * Off a terminal there is no live line: bars are silent and status lines
 * are printed every ten seconds.
 *
 * @module
 */
import type { CliEnv } from "./env.ts";
import { formatBytes } from "../format.ts";

/** A byte counter shown to people while work runs. */
export interface ByteProgress {
  advance(bytes: number): void;
  /** Draws the final state and leaves it on the screen (or clears it, if asked). */
  stop(): void;
}

/** How a progress bar is drawn. */
export interface BarOptions {
  /** Bytes already done before this run: shown as done, not counted in the rate. */
  readonly already?: number;
  /** Clears the bar when it stops instead of leaving its last state on the screen. */
  readonly clearOnStop?: boolean;
}

/** How often a terminal's live line is redrawn at least (its rate and ETA move with time). */
const REDRAW_MS = 1000;
/** Redraws for progress are at most this frequent. */
const MIN_REDRAW_MS = 100;
/** How often a status line is printed when stderr is not a terminal. */
const PLAIN_STATUS_MS = 10_000;
/** The rate is what arrived over this last stretch of time. */
const RATE_WINDOW_MS = 5_000;
/** Width of the bar itself, in cells, when the terminal has room. */
const MAX_BAR_CELLS = 30;
/** The bar is never narrower, even if the line must then be cut. */
const MIN_BAR_CELLS = 10;
/** Width assumed when the terminal's cannot be read. */
const DEFAULT_COLUMNS = 80;

const CLEAR_LINE = "\r\x1b[2K";

type Formats = typeof import("cli-progress")["Format"];

const terminals = new WeakMap<CliEnv, Terminal>();

/**
 * The terminal of `env`'s command: one per command run, shared by every
 * module that writes to its stderr.
 */
export function terminal(env: CliEnv): Terminal {
  let found = terminals.get(env);
  if (!found) terminals.set(env, found = new Terminal(env));
  return found;
}

/**
 * The `-v` log of a command, one timestamped line per event (ISO 8601, as
 * the tracker's log, so the logs of several processes interleave by time),
 * or undefined without `verbose` or with `quiet`.
 */
export function verboseLog(
  env: CliEnv,
  verbose: boolean | undefined,
  quiet = false,
): ((line: string) => void) | undefined {
  if (!verbose || quiet) return undefined;
  const screen = terminal(env);
  return (line) => screen.line(`${env.now().toISOString()} ${line}`);
}

/** See the module documentation; get one with {@link terminal}. */
export class Terminal {
  readonly #env: CliEnv;
  readonly #now: () => number;
  readonly #columns: () => number;
  #live: (() => string) | undefined;
  #drawn = false;

  /**
   * @param now the clock of rates, in milliseconds (tests pass their own)
   * @param columns the terminal's width (read from the console by default)
   */
  constructor(
    env: CliEnv,
    now: () => number = () => performance.now(),
    columns: () => number = consoleColumns,
  ) {
    this.#env = env;
    this.#now = now;
    this.#columns = columns;
  }

  /** Writes one line for people, above the live line if there is one. */
  line(text: string): void {
    if (!this.#env.interactive) {
      this.#env.stderr.write(`${text}\n`);
      return;
    }
    this.#env.stderr.write(`${this.#drawn ? CLEAR_LINE : ""}${text}\n`);
    this.#drawn = false;
    this.#draw();
  }

  /**
   * A progress bar as the live line on a terminal (cli-progress's bar and
   * time formats, loaded only then: they cost 4 ms of start-up), nothing
   * otherwise: logs and pipes get the step lines alone. Its rate counts
   * only what this run did, over the last five seconds, and its ETA is `?`
   * until there is a rate.
   *
   * @example
   * ```ts
   * const bar = await terminal(env).bar("Hashing", totalBytes, quiet);
   * bar.advance(1 << 20);
   * bar.stop();
   * ```
   */
  async bar(
    label: string,
    totalBytes: number,
    quiet: boolean,
    options: BarOptions = {},
  ): Promise<ByteProgress> {
    if (quiet || !this.#env.interactive || totalBytes === 0) return { advance() {}, stop() {} };
    const { default: cliProgress } = await import("cli-progress");
    const formats = cliProgress.Format;
    let done = options.already ?? 0;
    const samples: [at: number, done: number][] = [[this.#now(), done]];
    const render = () => {
      const now = this.#now();
      while (samples.length > 1 && now - samples[1][0] >= RATE_WINDOW_MS) samples.shift();
      const [since, doneThen] = samples[0];
      const rate = now > since ? (done - doneThen) / ((now - since) / 1000) : 0;
      const share = Math.min(done / totalBytes, 1);
      const figures = `${Math.floor(share * 100)}% ${formatBytes(done)}/${
        formatBytes(totalBytes)
      } ${formatBytes(Math.round(rate))}/s ETA ${eta(formats, totalBytes - done, rate)}`;
      // The bar takes what the terminal has left, so the figures are never the part cut off.
      const cells = Math.max(
        MIN_BAR_CELLS,
        Math.min(MAX_BAR_CELLS, this.#columns() - 1 - `${label} [] ${figures}`.length),
      );
      return `${label} [${barCells(formats, share, cells)}] ${figures}`;
    };
    const stopLive = this.#startLive(render);
    let lastDraw = 0;
    return {
      advance: (bytes) => {
        if (bytes === 0) return;
        done += bytes;
        const now = this.#now();
        samples.push([now, done]);
        if (now - lastDraw >= MIN_REDRAW_MS) {
          lastDraw = now;
          this.#draw();
        }
      },
      stop: () => stopLive(options.clearOnStop === true),
    };
  }

  /**
   * A status line: the live line on a terminal, redrawn every second;
   * printed every ten seconds otherwise; silent with `quiet`.
   *
   * @returns a function that stops it (and clears it from the terminal).
   */
  status(render: () => string, quiet: boolean): () => void {
    if (quiet) return () => {};
    if (this.#env.interactive) {
      const stopLive = this.#startLive(render);
      return () => stopLive(true);
    }
    const timer = setInterval(() => this.#env.stderr.write(`${render()}\n`), PLAIN_STATUS_MS);
    return () => clearInterval(timer);
  }

  /** Makes `render` the live line (ending any other) until the returned function is called. */
  #startLive(render: () => string): (clear: boolean) => void {
    this.#endLive(false);
    this.#live = render;
    this.#draw();
    const timer = setInterval(() => this.#draw(), REDRAW_MS);
    return (clear) => {
      clearInterval(timer);
      if (this.#live === render) this.#endLive(clear);
    };
  }

  /** Leaves the live line's last state on the screen as an ordinary line, or clears it. */
  #endLive(clear: boolean): void {
    if (!this.#live) return;
    if (clear) {
      if (this.#drawn) this.#env.stderr.write(CLEAR_LINE);
    } else {
      this.#draw();
      this.#env.stderr.write("\n");
    }
    this.#live = undefined;
    this.#drawn = false;
  }

  #draw(): void {
    if (!this.#live) return;
    this.#env.stderr.write(`${CLEAR_LINE}${fit(this.#live(), this.#columns())}`);
    this.#drawn = true;
  }
}

function barCells(formats: Formats, share: number, cells: number): string {
  return formats.BarFormat(
    share,
    {
      barsize: cells,
      barCompleteString: "\u2588".repeat(cells),
      barIncompleteString: "\u2591".repeat(cells),
      barGlue: "",
    } as Parameters<Formats["BarFormat"]>[1],
  );
}

function eta(formats: Formats, remaining: number, rate: number): string {
  if (remaining <= 0) return "0s";
  if (!(rate > 0)) return "?";
  return formats.TimeFormat(
    Math.ceil(remaining / rate),
    { autopaddingChar: "" } as Parameters<Formats["TimeFormat"]>[1],
    1,
  );
}

/** `text` cut to fit one line of `width` cells, leaving the last one free (no wrap). */
function fit(text: string, width: number): string {
  const characters = [...text];
  return characters.length < width ? text : `${characters.slice(0, width - 2).join("")}\u2026`;
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || DEFAULT_COLUMNS;
  } catch {
    return DEFAULT_COLUMNS;
  }
}
