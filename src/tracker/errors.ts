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

/**
 * The tracker holds as many swarms (`--max-swarms`) or peers (`--max-peers`)
 * as it may, so an announce that would add one more is refused.
 */
export class TrackerFullError extends TrackerError {
  /**
   * @param resource which cap refused the announce
   * @param limit that cap
   * @example
   * ```ts
   * throw new TrackerFullError("swarms", 100_000);
   * ```
   */
  constructor(readonly resource: "swarms" | "peers", readonly limit: number) {
    super(
      `tracker is full: it already tracks ${limit} ${
        resource === "swarms" ? "torrents" : "peers"
      }, try again later`,
    );
    this.name = "TrackerFullError";
  }
}
