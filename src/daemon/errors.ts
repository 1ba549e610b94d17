/**
 * A daemon request or start-up that cannot be done, with a message for the
 * user and the HTTP status the API answers it with (4xx: the asker's
 * fault; 502: a tracker or URL it named failed).
 */
export class DaemonError extends Error {
  /**
   * @example
   * ```ts
   * throw new DaemonError(404, "no torrent 0123...");
   * ```
   */
  constructor(readonly status: 400 | 404 | 409 | 502, message: string) {
    super(message);
    this.name = "DaemonError";
  }
}
