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

/**
 * A file system error in words for the user: the reasons people can act on
 * (missing, permission, disk full, read-only) by name, others as the system says.
 *
 * @example
 * ```ts
 * throw new StorageError(`${describeFileError(error)}: ${path}`);
 * ```
 */
export function describeFileError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOSPC" || /no space left/i.test(message)) return "no space left on device";
  if (code === "EROFS" || /read-only file system/i.test(message)) return "read-only file system";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return message;
}
