/** The command line asks for something that cannot be done; exit code 1. */
export class CommandError extends Error {
  /**
   * @example
   * ```ts
   * throw new CommandError("x.torrent exists (use --force to overwrite)");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * A command stopped by a signal before it was done: exit code 128 plus the
 * signal's number (130 for Ctrl-C's SIGINT, 143 for SIGTERM), as shells
 * and scripts expect of an interrupted program.
 */
export class Interrupted extends CommandError {
  /** The process's exit code for it. */
  readonly exitCode: number;

  /**
   * @example
   * ```ts
   * throw new Interrupted("SIGINT"); // "interrupted (SIGINT)", exit code 130
   * ```
   */
  constructor(readonly signal: string) {
    super(`interrupted (${signal})`);
    this.name = "Interrupted";
    this.exitCode = 128 + (SIGNAL_NUMBERS[signal] ?? 2);
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };
