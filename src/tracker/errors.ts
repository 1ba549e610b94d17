/**
 * A tracker request or answer is wrong, or the tracker cannot be reached;
 * the message is written for the user (and, on the server, sent back as the
 * bencoded `failure reason`).
 */
export class TrackerError extends Error {
  /**
   * @example
   * ```ts
   * throw new TrackerError("info_hash must be 20 bytes, got 19");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "TrackerError";
  }
}
