/**
 * A peer broke the peer wire protocol; the connection to it is closed with
 * this message as the logged reason. Other peers are never affected.
 */
export class WireError extends Error {
  /**
   * @example
   * ```ts
   * throw new WireError("bitfield has spare bits set");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}
