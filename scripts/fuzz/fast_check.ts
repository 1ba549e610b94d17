/**
 * fast-check, the fuzz harness's one dependency (declared in deno.json with
 * the program's own), under the name every fuzz module uses.
 *
 * @module
 */
export { default as fc } from "fast-check";
