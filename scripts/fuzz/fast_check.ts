/**
 * fast-check, the fuzz harness's one dependency, pinned here rather than in
 * deno.json's `imports` (those are the program's own): every fuzz module
 * imports it from this file, so a version change is one line.
 *
 * @module
 */
export { default as fc } from "npm:fast-check@4.10.2";
