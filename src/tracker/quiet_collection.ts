/**
 * One full garbage collection once a busy process falls quiet. V8 collects
 * its old generation when it grows, not when the work that filled it stops,
 * so after a burst (a million announces, say) the garbage of the burst can
 * sit in the heap for as long as the process stays quiet: measured on the
 * tracker after a million-peer fill, 37 MiB of heap of which the live part
 * was under 20. Collecting then returns those pages to the system, at a
 * moment when the pause (tens of milliseconds) delays nobody.
 *
 * @module
 */

/** What a {@link QuietCollection} watches and does. */
export interface QuietCollectionOptions {
  /** Runs a full collection. */
  readonly collect: () => void;
  /** The heap's bytes in use now. */
  readonly heapUsed: () => number;
  /** Work items (requests, blocks) in a window at most which it counts as quiet. */
  readonly quietBelow: number;
  /** Growth of the heap since the last collection that is worth one. */
  readonly minGrowthBytes: number;
}

/**
 * Decides, window by window, when to collect: in a quiet window after the
 * heap has grown by `minGrowthBytes` since the last collection (so a quiet
 * process is collected once, not every window). Pure apart from the two
 * functions it is given.
 *
 * @example
 * ```ts
 * const quiet = new QuietCollection({ collect, heapUsed, quietBelow: 50, minGrowthBytes: 4 << 20 });
 * setInterval(() => quiet.window(requestsSinceLastWindow()), 5000);
 * ```
 */
export class QuietCollection {
  #heapAfterLast: number;

  constructor(readonly options: QuietCollectionOptions) {
    this.#heapAfterLast = options.heapUsed();
  }

  /**
   * Ends a window in which `work` items were done; returns true if it
   * collected.
   */
  window(work: number): boolean {
    const { collect, heapUsed, quietBelow, minGrowthBytes } = this.options;
    if (work >= quietBelow) return false;
    const used = heapUsed();
    if (used - this.#heapAfterLast < minGrowthBytes) {
      // The heap may also shrink by itself: growth counts from its lowest point.
      this.#heapAfterLast = Math.min(this.#heapAfterLast, used);
      return false;
    }
    collect();
    this.#heapAfterLast = heapUsed();
    return true;
  }
}

/**
 * V8's full collection, when the process was started with
 * `--v8-flags=--expose-gc` (p2p's shipped flags include it: see
 * scripts/p2p_runtime.ts); undefined otherwise. It asks for V8's
 * "last resort" flavour, which also compacts and gives back the pages it
 * empties: measured on a heap of 226 MiB with a little kept, a plain full
 * collection left 135 MiB of heap and 265 MiB of RSS, this one 61 and 137.
 */
export function exposedCollection(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== "function") return undefined;
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}
