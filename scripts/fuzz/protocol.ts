/**
 * What the fuzz engine, its runner process and the runner's worker say to
 * each other, and the shared memory through which the runner watches the
 * worker: before each call the worker copies the input there and bumps a
 * counter, so an input that hangs (or crashes the worker) is still known.
 *
 * @module
 */
import { MAX_INPUT_LENGTH } from "./mutate.ts";

/** Int32 slots at the start of the shared memory. */
const STATE = 0; // 1 while the target runs on the input below, else 0
const COUNTER = 1; // inputs started so far
const LENGTH = 2; // bytes of the input below
const HEADER_BYTES = 16;

/** Memory the worker writes its current input into. */
export function newWatchMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + MAX_INPUT_LENGTH);
}

/** The worker's side: announces each input before the target sees it. */
export class InputRecorder {
  readonly #slots: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(memory: SharedArrayBuffer) {
    this.#slots = new Int32Array(memory, 0, HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(memory, HEADER_BYTES);
  }

  begin(input: Uint8Array): void {
    const length = Math.min(input.length, this.#bytes.length);
    this.#bytes.set(input.subarray(0, length));
    Atomics.store(this.#slots, LENGTH, length);
    Atomics.add(this.#slots, COUNTER, 1);
    Atomics.store(this.#slots, STATE, 1);
  }

  end(): void {
    Atomics.store(this.#slots, STATE, 0);
  }
}

/** The engine's side: what the worker is running, read without its cooperation. */
export class InputWatcher {
  readonly #slots: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(memory: SharedArrayBuffer) {
    this.#slots = new Int32Array(memory, 0, HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(memory, HEADER_BYTES);
  }

  /** The number of the input being run, or null between inputs. */
  running(): number | null {
    return Atomics.load(this.#slots, STATE) === 1 ? Atomics.load(this.#slots, COUNTER) : null;
  }

  /** Inputs started so far. */
  count(): number {
    return Atomics.load(this.#slots, COUNTER);
  }

  /** A copy of the last input the worker started. */
  lastInput(): Uint8Array {
    return this.#bytes.slice(0, Atomics.load(this.#slots, LENGTH));
  }
}

/** A thrown value, as it crosses from the worker. */
export interface ThrownError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/** What made an input a finding. */
export type FindingKind = "error" | "hang" | "crash";

/** An input the target failed on. */
export interface Finding {
  readonly target: string;
  readonly kind: FindingKind;
  readonly input: Uint8Array;
  readonly error: ThrownError;
  /** fast-check's replay data for this input, when fast-check produced it. */
  readonly seed?: number;
  readonly path?: string;
  /** Successful shrink steps from the first failing input to this one. */
  readonly shrinks?: number;
  /** Bytes of the first failing input, before shrinking. */
  readonly originalLength?: number;
}

/** The engine's orders to a runner process: a worker's, without the memory. */
export type RunnerRequest =
  | (Omit<Extract<WorkerRequest, { kind: "fuzz" }>, "memory"> & {
    readonly inputTimeoutMs: number;
  })
  | (Omit<Extract<WorkerRequest, { kind: "replay" }>, "memory"> & {
    readonly inputTimeoutMs: number;
  });

/** How one target's run ended. */
export interface TargetReport {
  readonly target: string;
  readonly runs: number;
  /** Longest time one input took, in milliseconds. */
  readonly slowestMs: number;
  /** That input. */
  readonly slowestInput?: Uint8Array;
  readonly elapsedMs: number;
  readonly seed: number;
  readonly finding?: Finding;
  /** The harness itself failed (a target module that does not load, ...). */
  readonly broken?: ThrownError;
}

/** What one input does to a target. */
export type ReplayOutcome =
  | { readonly outcome: "returned" }
  | { readonly outcome: "allowed"; readonly error: ThrownError }
  | { readonly outcome: "finding"; readonly error: ThrownError }
  | { readonly outcome: "hang"; readonly timeoutMs: number }
  | { readonly outcome: "broken"; readonly error: ThrownError };

/** JSON with byte arrays, as requests and answers cross between processes. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => {
    if (!(item instanceof Uint8Array)) return item;
    let text = "";
    for (const byte of item) text += String.fromCharCode(byte);
    return { $bytes: btoa(text) };
  });
}

/** Reads what {@link toJson} wrote. */
export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, item) => {
    if (item === null || typeof item !== "object" || typeof item.$bytes !== "string") return item;
    return Uint8Array.from(atob(item.$bytes), (char) => char.charCodeAt(0));
  }) as T;
}

/** The runner's orders to its worker. */
export type WorkerRequest =
  | {
    readonly kind: "fuzz";
    readonly targetsModule: string;
    readonly target: string;
    readonly seeds: Uint8Array[];
    readonly seed: number;
    /** How long the search runs, timed from its start. */
    readonly searchMs: number;
    /** When the search stops at the latest (`Date.now()` time), start-up included. */
    readonly searchUntil?: number;
    readonly shrinkMs: number;
    readonly memory: SharedArrayBuffer;
  }
  | {
    readonly kind: "replay";
    readonly targetsModule: string;
    readonly target: string;
    readonly input: Uint8Array;
    readonly memory: SharedArrayBuffer;
  };

/** A worker's reports. A fuzz run sends `found` (if it found) before shrinking, then `done`. */
export type WorkerReport =
  | { readonly kind: "found"; readonly finding: Finding }
  | {
    readonly kind: "done";
    readonly runs: number;
    readonly slowestMs: number;
    readonly slowestInput?: Uint8Array;
    readonly finding?: Finding;
  }
  | {
    readonly kind: "replayed";
    readonly outcome: "returned" | "allowed" | "finding";
    readonly error?: ThrownError;
  }
  | { readonly kind: "broken"; readonly error: ThrownError };

/** Any thrown value as name, message and stack. */
export function describeThrown(thrown: unknown): ThrownError {
  if (thrown instanceof Error) {
    return {
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack ?? `${thrown.name}: ${thrown.message}`,
    };
  }
  const text = String(thrown);
  return { name: typeof thrown, message: text, stack: `thrown ${typeof thrown}: ${text}` };
}
