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
