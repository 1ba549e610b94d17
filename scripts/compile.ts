// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno task compile [--target TARGET] [--output PATH]`: builds the single
 * executable `dist/p2p` with `deno compile`, the permissions p2p needs baked
 * in, the npm packages and the hash worker embedded.
 *
 * `deno compile` needs Deno's `denort` runtime for the target, which it
 * downloads; where that cannot be had, point `DENORT_BIN` at a denort binary
 * of this Deno's version for the target.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, resolve } from "node:path";
import { PERMISSIONS, V8_FLAGS } from "./p2p_runtime.ts";

/** The targets `deno compile --target` takes. */
const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Modules loaded at run time by `new Worker(...)`, which the module graph does not show. */
const WORKER_MODULES = ["src/storage/hash_worker.ts", "src/tracker/summary_worker.ts"];

function fail(message: string, code = 1): never {
  console.error(`compile: ${message}`);
  Deno.exit(code);
}

const { values } = parseArgs({
  args: Deno.args,
  options: { target: { type: "string" }, output: { type: "string" } },
});
if (values.target && !TARGETS.includes(values.target)) {
  fail(`unknown target "${values.target}"; targets: ${TARGETS.join(", ")}`, 2);
}
const denort = Deno.env.get("DENORT_BIN");
if (denort !== undefined && !(await Deno.stat(denort).then((s) => s.isFile, () => false))) {
  fail(`DENORT_BIN is set to ${denort}, which is not a file`);
}
const root = new URL("..", import.meta.url).pathname;
const defaultName = values.target?.includes("windows") ? "dist/p2p.exe" : "dist/p2p";
const output = values.output ?? defaultName;
const args = [
  "compile",
  ...PERMISSIONS,
  V8_FLAGS,
  ...WORKER_MODULES.flatMap((module) => ["--include", module]),
  // Only the npm packages p2p imports: without it the tests' (Puppeteer, fast-check, a terminal
  // emulator) came along too, some 28 MB of the binary's 134.
  "--exclude-unused-npm",
  ...(values.target ? ["--target", values.target] : []),
  "--output",
  output,
  "main.ts",
];
// deno compile makes the output's directory before it fails for want of a runtime: one made here
// goes again with the failure, so a failed build leaves no empty dist/ behind.
const outputDirectory = resolve(root, dirname(output));
const directoryWasThere = await Deno.stat(outputDirectory).then(() => true, () => false);
const result = await new Deno.Command(Deno.execPath(), {
  args,
  cwd: root,
  stdout: "inherit",
  stderr: "piped",
  env: { NO_COLOR: "1" },
}).output();
const stderr = new TextDecoder().decode(result.stderr);
if (!result.success) {
  if (!directoryWasThere) await Deno.remove(outputDirectory).catch(() => {});
  const runtimeMissing = denort === undefined &&
    /denort|download|dns error|lookup address|Failed (fetching|downloading)/i.test(stderr);
  if (runtimeMissing) {
    fail(
      `deno compile could not download the denort runtime (${Deno.version.deno}, ${
        values.target ?? "this platform"
      }); set DENORT_BIN to a denort binary of that version and target`,
    );
  }
  const firstError = stderr.split("\n").find((line) => /error/i.test(line)) ?? stderr.trim();
  fail(`deno compile failed: ${firstError.replace(/^error:\s*/i, "")}`);
}
await Deno.stderr.write(result.stderr);
console.error(`compile: wrote ${output}`);
