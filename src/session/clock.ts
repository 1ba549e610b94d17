/** A timer that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as the engine sees it: every timer that decides behaviour (choking
 * rounds, stall checks, keep-alives, rates, rate limits) goes through one,
 * so tests drive the engine with a clock of their own instead of sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `task` every `ms` milliseconds until cancelled. */
  every(ms: number, task: () => void): Timer;
  /** Calls `task` once after `ms` milliseconds unless cancelled. */
  after(ms: number, task: () => void): Timer;
}

/** The real clock: `performance.now()` and the runtime's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  every(ms, task) {
    const id = setInterval(task, ms);
    return { cancel: () => clearInterval(id) };
  },
  after(ms, task) {
    const id = setTimeout(task, ms);
    return { cancel: () => clearTimeout(id) };
  },
};

/**
 * Resolves after `ms` milliseconds of `clock`.
 *
 * @example
 * ```ts
 * await sleep(clock, 250);
 * ```
 */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}
