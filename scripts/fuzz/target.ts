/**
 * What a fuzz target is: a pure function of bytes, the seed corpora it is
 * fed from, and the error classes it is documented to throw. Anything else
 * it throws, and any input it takes too long on, is a finding.
 *
 * @module
 */

import type { ValueFinder } from "./mutate.ts";

/** An error class a target may throw on bad input (`BencodeError`, `WireError`, ...). */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

/** One entry of the target table. */
export interface FuzzTarget {
  /** Short name, used by `--target` and in finding file names (`[a-z0-9-]`). */
  readonly name: string;
  /** Folders under `tests/fuzz/seeds/` whose files are this target's seed inputs. */
  readonly corpora: readonly string[];
  /** Called with every input. A return is a pass; so is a throw of one of `allowed`. */
  readonly run: (input: Uint8Array) => unknown;
  /** The module's own documented error classes: the only acceptable throws. */
  readonly allowed: readonly ErrorClass[];
  /** Byte strings of the format (Latin-1) that the mutator splices into inputs. */
  readonly tokens: readonly string[];
  /** Where the format's values are, for the mutator to swap whole values. */
  readonly values?: ValueFinder;
}

/**
 * A property of the output that the module promises and the target checks
 * (a span that does not decode to its value, a path component that could
 * climb out of the download directory). Never an allowed class: a finding.
 */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

/** Throws an {@link InvariantError} unless `condition` holds. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/**
 * One table entry in one line: `target("ut-pex", utPex, [WireError])`
 * reads its seeds from `tests/fuzz/seeds/ut-pex/`.
 *
 * @example
 * ```ts
 * target("bencode", decode, [BencodeError], { corpora: ["metainfo"], tokens: BENCODE_TOKENS });
 * ```
 */
export function target(
  name: string,
  run: (input: Uint8Array) => unknown,
  allowed: readonly ErrorClass[],
  options: { corpora?: readonly string[]; tokens?: readonly string[]; values?: ValueFinder } = {},
): FuzzTarget {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`fuzz target name "${name}" is not [a-z0-9-]`);
  return {
    name,
    run,
    allowed,
    corpora: options.corpora ?? [name],
    tokens: options.tokens ?? [],
    values: options.values,
  };
}

/** Whether `error` is one of the target's documented error classes. */
export function isAllowed(fuzzTarget: FuzzTarget, error: unknown): boolean {
  return fuzzTarget.allowed.some((errorClass) => error instanceof errorClass);
}
