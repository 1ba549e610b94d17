/**
 * Targets that fail on purpose, so the fuzz tests can show that the harness
 * catches each kind of finding: a wrong error class, a stack overflow, a
 * hang, and (for contrast) a documented error that is no finding.
 *
 * @module
 */
import { type FuzzTarget, target } from "../../scripts/fuzz/target.ts";

/** The documented error class of the pretend module. */
export class PretendError extends Error {}

/** The byte that sets off each broken target. */
export const TRIGGER = 0x00;

function typeErrorOnTrigger(input: Uint8Array): void {
  if (input.includes(TRIGGER)) {
    const missing = undefined as unknown as { length: number };
    void missing.length; // TypeError: cannot read properties of undefined
  }
}

function depth(n: number): number {
  return depth(n + 1) + 1;
}

function overflowOnTrigger(input: Uint8Array): void {
  if (input.includes(TRIGGER)) depth(0);
}

function hangOnTrigger(input: Uint8Array): void {
  let spins = 0;
  while (input.includes(TRIGGER)) spins++;
  void spins;
}

function alwaysPretendError(): void {
  throw new PretendError("refused, as documented");
}

export const TARGETS: readonly FuzzTarget[] = [
  target("type-error", typeErrorOnTrigger, [PretendError], { corpora: ["text"] }),
  target("stack-overflow", overflowOnTrigger, [PretendError], { corpora: ["text"] }),
  target("hang", hangOnTrigger, [PretendError], { corpora: ["text"] }),
  target("documented-error", alwaysPretendError, [PretendError], { corpora: ["text"] }),
];
