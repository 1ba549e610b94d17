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

Deno.test("compile hands DENORT_BIN to deno compile and embeds the hash worker and the pages' assets", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "p2p");
    // Any file stands in for denort here: deno compile appends the program to it.
    const run = await compile(["--output", output], { DENORT_BIN: Deno.execPath() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /commander/);
    assert.match(run.stderr, /compile: wrote /);
    assert.ok((await Deno.stat(output)).size > (await Deno.stat(Deno.execPath())).size);
    const binary = new TextDecoder("latin1").decode(await Deno.readFile(output));
    // The commands, which the program imports only when one is run, are embedded all the same.
    assert.ok(binary.includes("function runTracker("), "a lazily imported command embedded");
    // The hash worker, which no import names, is embedded with its source.
    assert.ok(binary.includes("hash_worker.ts"));
    assert.ok(binary.includes("hashClaimedPieces(event.data"));
    // The tracker pages' assets, imported as text, go in as modules: uPlot and the page script.
    assert.ok(binary.includes("uPlot.iife.min.js"));
    assert.ok(binary.includes("figure[data-history]"));
    // The daemon's page assets, imported as text, are embedded with the program.
    assert.ok(binary.includes("The daemon's live page"), "ui.js embedded");
    // The npm packages p2p imports, and not the tests' own.
    assert.match(run.stderr, /cli-progress\/3/, "a package imported dynamically is embedded");
    for (const testOnly of ["puppeteer-core", "fast-check", "@xterm/headless"]) {
      assert.doesNotMatch(run.stderr, new RegExp(`${testOnly}/`), `${testOnly} left out`);
    }
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
  assert.equal(
    config.tasks.p2p,
    `P2P_CWD="$INIT_CWD" deno run ${PERMISSIONS.join(" ")} ${V8_FLAGS} main.ts`,
  );
});

Deno.test({
  name: "a compile that fails (no denort, no network) leaves no empty output directory behind",
  // Run without any network: in CI the suite's namespace has none; elsewhere a namespace of its
  // own (root), so the attempt to download denort cannot leave the machine.
  ignore: Deno.env.get("CI") === undefined && Deno.uid() !== 0,
  async fn() {
    await withTempDir(async (dir) => {
      const output = join(dir, "out", "p2p");
      const inner = [Deno.execPath(), "run", "--allow-all", COMPILE, "--output", output];
      const command = Deno.env.get("CI") === undefined ? ["unshare", "-n", "--", ...inner] : inner;
      const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
      delete env.DENORT_BIN;
      const done = await new Deno.Command(command[0], {
        args: command.slice(1),
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(done.code, 1, new TextDecoder().decode(done.stderr));
      assert.match(new TextDecoder().decode(done.stderr), /^compile: deno compile /m);
      assert.equal(await Deno.stat(join(dir, "out")).then(() => true, () => false), false);
    });
  },
});
