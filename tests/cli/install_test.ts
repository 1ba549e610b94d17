/**
 * The lab machine's install: `deno task install --root DIR` puts `p2p` in
 * DIR/bin, and it runs from any directory with paths relative to that
 * directory; so does `deno task p2p` started from elsewhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";

const REPOSITORY = new URL("../../", import.meta.url).pathname;

async function run(command: string, args: string[], cwd: string) {
  // As from a user's shell: not inside the `deno task test` that runs this, whose INIT_CWD (the
  // directory that task started in) an inner `deno task` would keep.
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    P2P_NO_DISCOVERY: "1",
    NO_COLOR: "1",
  };
  delete env.INIT_CWD;
  const done = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env,
    clearEnv: true,
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: done.code, stdout: text(done.stdout), stderr: text(done.stderr) };
}

Deno.test("deno task install --root DIR: p2p --version and make-torrent from another directory", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "root");
    const installed = await run(
      Deno.execPath(),
      ["task", "--config", join(REPOSITORY, "deno.json"), "install", "--root", root],
      dir,
    );
    assert.equal(installed.code, 0, installed.stderr);
    const p2p = join(root, "bin", "p2p");
    const work = join(dir, "work");
    await Deno.mkdir(work);
    await Deno.writeTextFile(join(work, "notes.txt"), "lab notes\n".repeat(100));
    const version = await run(p2p, ["--version"], work);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, "0.1.0\n");
    const made = await run(p2p, ["make-torrent", "notes.txt", "-q"], work);
    assert.equal(made.code, 0, made.stderr);
    assert.ok((await Deno.stat(join(work, "notes.txt.torrent"))).isFile);
  });
});

Deno.test("deno task p2p from another directory resolves paths against that directory", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "notes.txt"), "lab notes\n");
    const made = await run(
      Deno.execPath(),
      ["task", "--config", join(REPOSITORY, "deno.json"), "p2p", "make-torrent", "notes.txt", "-q"],
      dir,
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, new RegExp(`  ${join(dir, "notes.txt")}\\.torrent\\n`));
    assert.ok((await Deno.stat(join(dir, "notes.txt.torrent"))).isFile);
  });
});
