/** A torrent file is malformed or unsafe; the message is written for the user. */
export class MetainfoError extends Error {
  /**
   * @example
   * ```ts
   * throw new MetainfoError("info.pieces is missing");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "MetainfoError";
  }
}
