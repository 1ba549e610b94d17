import assert from "node:assert/strict";
import { join } from "node:path";
import { PERMISSIONS, V8_FLAGS } from "../../scripts/p2p_runtime.ts";
import { withTempDir } from "../helpers.ts";

const COMPILE = new URL("../../scripts/compile.ts", import.meta.url).pathname;

async function compile(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", COMPILE, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("compile refuses an unknown target and a DENORT_BIN that is not there", async () => {
  const target = await compile(["--target", "pdp11"], {});
  assert.equal(target.code, 2);
  assert.match(
    target.stderr,
    /^compile: unknown target "pdp11"; targets: x86_64-unknown-linux-gnu/,
  );
  const missing = await compile([], { DENORT_BIN: "/nonexistent/denort" });
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    "compile: DENORT_BIN is set to /nonexistent/denort, which is not a file\n",
  );
});

Deno.test("compile hands DENORT_BIN to deno compile and embeds the hash worker", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "p2p");
    // Any file stands in for denort here: deno compile appends the program to it.
    const run = await compile(["--output", output], { DENORT_BIN: Deno.execPath() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /commander/);
    assert.match(run.stderr, /compile: wrote /);
    assert.ok((await Deno.stat(output)).size > (await Deno.stat(Deno.execPath())).size);
    const binary = new TextDecoder("latin1").decode(await Deno.readFile(output));
    // The hash worker, which no import names, is embedded with its source.
    assert.ok(binary.includes("hash_worker.ts"));
    assert.ok(binary.includes("hashClaimedPieces(event.data"));
    // The daemon's page assets, imported as text, are embedded with the program.
    assert.ok(binary.includes("The daemon's live page"), "ui.js embedded");
    assert.ok(binary.includes("uPlot"), "uPlot embedded");
    // The shipped V8 settings are in the binary's metadata.
    for (const flag of V8_FLAGS.replace("--v8-flags=", "").split(",")) {
      assert.ok(binary.includes(`"${flag}"`), `${flag} baked in`);
    }
  });
});

Deno.test("deno task p2p runs the sources with the permissions and V8 settings the binary gets", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  assert.equal(config.tasks.p2p, `deno run ${PERMISSIONS.join(" ")} ${V8_FLAGS} main.ts`);
});
