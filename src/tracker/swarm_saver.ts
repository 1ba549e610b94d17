/**
 * Swarms that survive a restart: the registry saved to a file in the
 * tracker's data directory now and then and at shutdown, and read back at
 * start.
 *
 * @module
 */
import { decodeSwarmFile, encodeSwarmFile } from "./swarm_file.ts";
import type { SwarmRegistry } from "./swarm_registry.ts";

/** The swarm file's name in the data directory. */
export const SWARM_FILE_NAME = "swarms.bin";
/**
 * Default seconds between saves: what a SIGKILL can lose at most. Peers
 * announce every half hour and a save of a million peers writes ~10 MB, so
 * half a minute costs little and loses little.
 */
export const DEFAULT_SAVE_INTERVAL = 30;

/**
 * Restores the swarms saved in `path` into `registry` (a new, empty one).
 * No file is a first start. A file that cannot be read or is not whole (a
 * truncated write, a disk error, a file from elsewhere) is one warning line
 * and an empty registry: the tracker starts either way, and peers announce
 * again within an interval.
 *
 * @param makeRegistry makes the empty registry to fill
 * @returns the registry to use
 * @example
 * ```ts
 * const registry = await restoreSwarms(path, () => new SwarmRegistry(options), log);
 * ```
 */
export async function restoreSwarms(
  path: string,
  makeRegistry: () => SwarmRegistry,
  log?: (line: string) => void,
): Promise<SwarmRegistry> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) log?.(warning(path, error));
    return makeRegistry();
  }
  const registry = makeRegistry();
  try {
    const { savedAt, swarms } = decodeSwarmFile(bytes);
    const { swarms: swarmCount, peers } = registry.restore(savedAt, swarms);
    log?.(`restored ${swarmCount} swarms with ${peers} peers from ${path}`);
    return registry;
  } catch (error) {
    log?.(warning(path, error));
    // Half restored is not restored: start clean.
    return makeRegistry();
  }
}

function warning(path: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `warning: ignoring the saved swarms in ${path} (${reason}); starting with none`;
}

/**
 * Saves a registry to a file, whole or not at all: into `<path>.tmp`,
 * flushed to disk, then renamed over `path`. A save while one is under way
 * waits for it; a save when nothing changed since the last one is skipped
 * (the first one always writes).
 */
export class SwarmSaver {
  readonly #registry: SwarmRegistry;
  readonly #path: string;
  readonly #log: ((line: string) => void) | undefined;
  /** The registry's change count at the last save. */
  #saved: number | undefined;
  #running: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @example
   * ```ts
   * const saver = new SwarmSaver(registry, join(dataDirectory, SWARM_FILE_NAME), log);
   * saver.start(30_000);
   * ```
   */
  constructor(registry: SwarmRegistry, path: string, log?: (line: string) => void) {
    this.#registry = registry;
    this.#path = path;
    this.#log = log;
  }

  /**
   * Saves every `intervalMs` until `stop`.
   *
   * @example
   * ```ts
   * saver.start(DEFAULT_SAVE_INTERVAL * 1000);
   * ```
   */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => this.save(), intervalMs);
  }

  /**
   * Stops the timer and saves a last time.
   *
   * @example
   * ```ts
   * await saver.stop(); // at shutdown
   * ```
   */
  stop(): Promise<void> {
    clearInterval(this.#timer);
    return this.save();
  }

  /**
   * Saves now (after any save under way), unless nothing changed; a failure
   * is one log line, and the next save tries again.
   *
   * @example
   * ```ts
   * await saver.save();
   * ```
   */
  save(): Promise<void> {
    this.#running = this.#running.then(() => this.#save());
    return this.#running;
  }

  async #save(): Promise<void> {
    if (this.#registry.changes === this.#saved) return;
    const snapshot = this.#registry.snapshot();
    const temporary = `${this.#path}.tmp`;
    try {
      const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
      try {
        for (const chunk of encodeSwarmFile(snapshot.savedAt, snapshot.swarms)) {
          for (let written = 0; written < chunk.length;) {
            written += await file.write(chunk.subarray(written));
          }
        }
        await file.syncData();
      } finally {
        file.close();
      }
      await Deno.rename(temporary, this.#path);
      this.#saved = snapshot.changes;
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      this.#log?.(
        `cannot save the swarms to ${this.#path}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
}
