// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno run scripts/rc4_throughput.ts [MIB]`: how fast our RC4 encrypts in
 * place, in the 128 KiB writes a peer connection makes, over 64 MiB by
 * default. Prints each of five runs and the best (the first includes the
 * JIT warming up; on a shared machine the best is the least disturbed).
 *
 * @module
 */
import { Rc4 } from "../src/transport/mse/rc4.ts";

const CHUNK = 128 * 1024;
const RUNS = 5;

const mib = Number(Deno.args[0] ?? "64");
if (!Number.isInteger(mib) || mib <= 0) {
  console.error("rc4_throughput: the size is a whole number of MiB");
  Deno.exit(2);
}
// RC4 takes the same time whatever the bytes are.
const data = new Uint8Array(CHUNK);
const cipher = new Rc4(crypto.getRandomValues(new Uint8Array(20)));
let best = 0;
for (let run = 1; run <= RUNS; run++) {
  const started = performance.now();
  for (let done = 0; done < mib * 1024 * 1024; done += CHUNK) cipher.crypt(data);
  const rate = mib / ((performance.now() - started) / 1000);
  best = Math.max(best, rate);
  console.log(`run ${run}: ${rate.toFixed(0)} MiB/s`);
}
console.log(`RC4 over ${mib} MiB in ${CHUNK / 1024} KiB chunks: best ${best.toFixed(0)} MiB/s`);
