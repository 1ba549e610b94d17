/** Files on disk cannot be read or written as needed; the message is for the user. */
export class StorageError extends Error {
  /**
   * @example
   * ```ts
   * throw new StorageError("no such file or directory: ./missing");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "StorageError";
  }
}
