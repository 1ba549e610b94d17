/** A bencoded document is malformed; the message is written for the user. */
export class BencodeError extends Error {
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;

  /**
   * @example
   * ```ts
   * throw new BencodeError("unterminated list", 12);
   * ```
   */
  constructor(message: string, offset: number) {
    super(`invalid bencode at byte ${offset}: ${message}`);
    this.name = "BencodeError";
    this.offset = offset;
  }
}
