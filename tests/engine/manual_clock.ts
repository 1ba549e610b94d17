import type { Clock, Timer } from "../../src/session/mod.ts";

interface Scheduled {
  at: number;
  readonly every: number | undefined;
  readonly task: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when the test says: timers fire in time order as
 * {@link advance} passes them, so behaviour that waits 30 s is tested in
 * microseconds.
 */
export class ManualClock implements Clock {
  #now = 0;
  readonly #timers: Scheduled[] = [];

  now = (): number => this.#now;

  every(ms: number, task: () => void): Timer {
    return this.#add({ at: this.#now + ms, every: ms, task, cancelled: false });
  }

  after(ms: number, task: () => void): Timer {
    return this.#add({ at: this.#now + ms, every: undefined, task, cancelled: false });
  }

  #add(timer: Scheduled): Timer {
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Moves time forward by `ms`, running every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = due.at;
      if (due.every === undefined) due.cancelled = true;
      else due.at += due.every;
      due.task();
    }
    this.#now = end;
    for (let i = this.#timers.length - 1; i >= 0; i--) {
      if (this.#timers[i].cancelled) this.#timers.splice(i, 1);
    }
  }
}
