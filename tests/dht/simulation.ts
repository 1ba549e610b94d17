/**
 * A simulated network for DHT nodes: a clock that jumps from event to event
 * and datagrams delivered after a latency, some lost. The node code is the
 * real one; only its transport and clock are simulated, so thousands of
 * nodes run in one process in seconds (tests and `deno task bench dht`).
 *
 * @module
 */
import type { DhtTransport } from "../../src/dht/mod.ts";
import type { Clock, Timer } from "../../src/session/mod.ts";
import { type Endpoint, formatEndpoint } from "../../src/transport/mod.ts";

interface Task {
  cancelled: boolean;
  readonly run: () => void;
}

/**
 * A clock of whole milliseconds that moves only in {@link run}: every task
 * due at one millisecond runs, then every promise they settled runs to the
 * end (one macrotask turn), then time jumps to the next task.
 */
export class SimClock implements Clock {
  #now = 0;
  /** Tasks by the millisecond they are due. */
  readonly #due = new Map<number, Task[]>();
  /** The milliseconds with tasks, as a binary min-heap. */
  readonly #heap: number[] = [];
  readonly #channel = new MessageChannel();
  #wake: (() => void) | undefined;

  constructor() {
    this.#channel.port1.onmessage = () => {
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    };
  }

  now = (): number => this.#now;

  after(ms: number, task: () => void): Timer {
    const entry: Task = { cancelled: false, run: task };
    this.#schedule(this.#now + Math.max(1, Math.round(ms)), entry);
    return { cancel: () => (entry.cancelled = true) };
  }

  every(ms: number, task: () => void): Timer {
    let current: Timer | undefined;
    let cancelled = false;
    const again = () => {
      current = this.after(ms, () => {
        if (cancelled) return;
        again();
        task();
      });
    };
    again();
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }

  /**
   * Runs events until `done` settles or `ms` of simulated time pass,
   * whichever is first; resolves with `done`'s value, or undefined.
   */
  async run<T>(done: Promise<T> | undefined, ms: number): Promise<T | undefined> {
    let settled = false;
    let value: T | undefined;
    done?.then((result) => {
      settled = true;
      value = result;
    }, () => (settled = true));
    const end = this.#now + ms;
    await this.#turn();
    while (!settled && this.#heap.length > 0 && this.#heap[0] <= end) {
      const at = this.#pop();
      this.#now = at;
      const tasks = this.#due.get(at)!;
      // Tasks scheduled for this same millisecond while it runs join the list.
      for (let i = 0; i < tasks.length; i++) if (!tasks[i].cancelled) tasks[i].run();
      this.#due.delete(at);
      await this.#turn();
    }
    if (!settled) this.#now = Math.max(this.#now, Math.min(end, this.#heap[0] ?? end));
    if (done && !settled) await this.#turn();
    return value;
  }

  /** Lets every pending promise run (a macrotask turn, not clamped as setTimeout's are). */
  #turn(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#channel.port2.postMessage(null);
    });
  }

  /** Releases the channel (it would keep the process alive). */
  close(): void {
    this.#channel.port1.close();
    this.#channel.port2.close();
  }

  #schedule(at: number, task: Task): void {
    const tasks = this.#due.get(at);
    if (tasks) {
      tasks.push(task);
      return;
    }
    this.#due.set(at, [task]);
    const heap = this.#heap;
    heap.push(at);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= heap[i]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  #pop(): number {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && heap[left] < heap[least]) least = left;
        if (right < heap.length && heap[right] < heap[least]) least = right;
        if (least === i) break;
        [heap[least], heap[i]] = [heap[i], heap[least]];
        i = least;
      }
    }
    return top;
  }
}

/** A small fast random generator with a seed, so a simulation runs the same each time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** How the simulated network behaves. */
export interface SimNetworkOptions {
  readonly clock: SimClock;
  readonly random: () => number;
  /** One-way latency, drawn uniformly from this range (ms). */
  readonly latencyMs?: readonly [number, number];
  /** Share of datagrams lost, 0 to 1. */
  readonly loss?: number;
}

/**
 * Datagrams between simulated hosts: each is delivered after a random
 * latency, or lost; datagrams to a host that left vanish.
 */
export class SimNetwork {
  readonly #hosts = new Map<string, (bytes: Uint8Array, from: Endpoint) => void>();
  readonly #options: SimNetworkOptions;
  /** Datagrams sent, lost or not. */
  sent = 0;

  constructor(options: SimNetworkOptions) {
    this.#options = options;
  }

  /** A transport for a host at `endpoint`. */
  attach(endpoint: Endpoint): DhtTransport {
    const key = formatEndpoint(endpoint);
    this.#hosts.set(key, () => {});
    const hosts = this.#hosts;
    const send = (bytes: Uint8Array, to: Endpoint) => this.#send(bytes.slice(), endpoint, to);
    return {
      port: endpoint.port,
      send,
      receive(handler) {
        if (hosts.has(key)) hosts.set(key, handler);
      },
    };
  }

  /** The host leaves: datagrams to it are lost from now on. */
  detach(endpoint: Endpoint): void {
    this.#hosts.delete(formatEndpoint(endpoint));
  }

  #send(bytes: Uint8Array, from: Endpoint, to: Endpoint): void {
    this.sent++;
    const { random, clock } = this.#options;
    if (random() < (this.#options.loss ?? 0)) return;
    const [low, high] = this.#options.latencyMs ?? [10, 10];
    const delay = low + random() * (high - low);
    const key = formatEndpoint(to);
    clock.after(delay, () => this.#hosts.get(key)?.(bytes, from));
  }
}
