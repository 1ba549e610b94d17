/**
 * Descriptors kept for everything but client connections: standard streams,
 * the catalog's SQLite files, Deno's own (its caches, event loop, signals;
 * an idle tracker holds about 30).
 */
export const RESERVED_DESCRIPTORS = 64;
/** The usual soft limit on Linux, assumed where the real one cannot be read. */
export const ASSUMED_OPEN_FILE_LIMIT = 1024;
/** Fewest connections a tracker takes, however low the limit. */
const MIN_CONNECTIONS = 16;

/**
 * The soft "Max open files" limit in the text of `/proc/<pid>/limits`, or
 * undefined when it is missing or unlimited.
 *
 * @example
 * ```ts
 * parseOpenFileLimit("Max open files            1024                 524288               files");
 * // 1024
 * ```
 */
export function parseOpenFileLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\d+)\s/m.exec(limits);
  return match ? Number(match[1]) : undefined;
}

/**
 * This process's soft limit on open descriptors (RLIMIT_NOFILE, what
 * `ulimit -n` shows): Deno has no getrlimit, but Linux shows it in
 * `/proc/self/limits`. Undefined elsewhere.
 *
 * @example
 * ```ts
 * openFileLimit(); // 20000
 * ```
 */
export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return undefined;
  }
}

/**
 * How many connections to hold at most: the descriptor limit (from
 * {@link openFileLimit}) less {@link RESERVED_DESCRIPTORS}, so that
 * accepting one more never fails.
 *
 * @example
 * ```ts
 * defaultMaxConnections(openFileLimit()); // 192 under `ulimit -n 256`
 * ```
 */
export function defaultMaxConnections(limit: number | undefined): number {
  return Math.max(MIN_CONNECTIONS, (limit ?? ASSUMED_OPEN_FILE_LIMIT) - RESERVED_DESCRIPTORS);
}
