import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/**
 * What loading `entry` loads before any code of it runs: the modules its
 * static imports reach (dynamic imports not followed), relative to the
 * repository, and the npm packages among them.
 */
async function staticallyLoaded(entry: string): Promise<{ files: string[]; npm: string[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(output.code, 0, "deno info ran");
  const graph: { modules: GraphModule[] } = JSON.parse(new TextDecoder().decode(output.stdout));
  const bySpecifier = new Map(graph.modules.map((module) => [module.specifier, module]));
  const reached = new Set<string>();
  const pending = [new URL(entry, ROOT).href];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) pending.push(dependency.code.specifier);
    }
  }
  const all = [...reached];
  return {
    files: all.filter((s) => s.startsWith(ROOT.href)).map((s) => s.slice(ROOT.href.length)),
    npm: all.filter((s) => s.startsWith("npm:")).map((s) => s.slice(4).replace(/(.)@.*/, "$1")),
  };
}

/** Modules of the engine: what joining a swarm needs and a tracker does not. */
const ENGINE =
  /^src\/(client|session|wire|extensions|storage|dht|lsd|stream|daemon)\/(?!errors\.ts$)/;

Deno.test("p2p loads only the command it runs: main.ts reaches no command's module statically", async () => {
  const { files, npm } = await staticallyLoaded("main.ts");
  assert.deepEqual(files.filter((file) => ENGINE.test(file)), []);
  const commands = ["get", "seed", "tracker", "daemon", "shell", "stream", "fetch", "publish"];
  for (const command of commands) assert.ok(!files.includes(`src/cli/${command}.ts`), command);
  assert.ok(!files.includes("README.md"), "the manual's README loads with `p2p help` only");
  assert.deepEqual(npm, ["commander"]);
});

Deno.test("p2p tracker loads neither the engine nor its web pages until a page is asked for", async () => {
  const { files, npm } = await staticallyLoaded("src/cli/tracker.ts");
  assert.deepEqual(files.filter((file) => ENGINE.test(file)), []);
  assert.deepEqual(files.filter((file) => file.startsWith("src/tracker/web/")), [
    "src/tracker/web/paths.ts",
  ]);
  assert.ok(!npm.includes("hono") && !npm.includes("cli-progress"), npm.join(", "));
});
