/** `p2p completions bash|zsh|fish` and `p2p help COMMAND`: the scripts complete, the manual shows. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { manualSection } from "../../src/cli/manual.ts";
import { needsTools, runP2p, withTempDir } from "../helpers.ts";

async function script(dir: string, shell: string): Promise<string> {
  const made = await runP2p(dir, "completions", shell);
  assert.equal(made.code, 0, made.stderr);
  const path = join(dir, `p2p.${shell}`);
  await Deno.writeTextFile(path, made.stdout);
  return path;
}

async function output(command: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const done = await child.output();
  assert.ok(done.success, new TextDecoder().decode(done.stderr));
  return new TextDecoder().decode(done.stdout);
}

Deno.test({
  name: "completions bash: commands, flags, a flag's choices and files",
  ignore: !needsTools("bash"),
  async fn() {
    await withTempDir(async (dir) => {
      const path = await script(dir, "bash");
      await Deno.writeTextFile(join(dir, "film.torrent"), "");
      const completed = await output("bash", [
        "-c",
        `source '${path}'
complete_line() { COMP_WORDS=($1); [ "\${1: -1}" = " " ] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _p2p; echo "\${COMPREPLY[*]}"; }
cd '${dir}'
complete_line "p2p ge"
complete_line "p2p get --encr"
complete_line "p2p get --encryption "
complete_line "p2p get fil"
complete_line "p2p help ma"
complete_line "p2p completions z"`,
      ]);
      assert.deepEqual(completed.trim().split("\n"), [
        "get",
        "--encryption",
        "prefer require allow off",
        "film.torrent",
        "make-torrent",
        "zsh",
      ]);
    });
  },
});

Deno.test({
  name: "completions fish: commands with descriptions, a flag's choices",
  ignore: !needsTools("fish"),
  async fn() {
    await withTempDir(async (dir) => {
      const path = await script(dir, "fish");
      const completed = await output("fish", [
        "-c",
        `source '${path}'; complete -C 'p2p ge'; complete -C 'p2p get --encryption '; complete -C 'p2p seed --max-up'`,
      ]);
      const lines = completed.trim().split("\n").map((line) => line.split("\t")[0]);
      assert.deepEqual(lines, ["get", "allow", "off", "prefer", "require", "--max-upload-rate"]);
    });
  },
});

Deno.test({
  name: "completions zsh: Tab at a real zsh prompt completes the command and a flag's choices",
  ignore: !needsTools("zsh", "script"),
  async fn() {
    await withTempDir(async (dir) => {
      const path = await script(dir, "zsh");
      const child = new Deno.Command("script", {
        args: ["-qec", "zsh -f -i", "/dev/null"],
        stdin: "piped",
        stdout: "piped",
        env: { TERM: "dumb" },
      }).spawn();
      const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const writer = child.stdin.getWriter();
      let screen = "";
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of child.stdout) screen += decoder.decode(chunk, { stream: true });
      })();
      const shown = async (pattern: RegExp) => {
        for (let i = 0; i < 200 && !pattern.test(screen); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.match(screen, pattern);
      };
      const type = (text: string) => writer.write(new TextEncoder().encode(text));
      const CLEAR_LINE = "\x15";
      await type(`autoload -U compinit; compinit -u; source '${path}'; echo loaded\r`);
      await shown(/\nloaded/);
      await type("p2p ge\t");
      await shown(/p2p get /);
      await type(`${CLEAR_LINE}p2p get --encryption \t`);
      await shown(/allow +off +prefer +require/);
      await type(`${CLEAR_LINE}exit\r`);
      await child.status.finally(() => clearTimeout(deadline));
      await reading;
      await writer.close().catch(() => {});
    });
  },
});

Deno.test("help COMMAND prints the usage, then the README's section for it", async () => {
  await withTempDir(async (dir) => {
    const get = await runP2p(dir, "help", "get");
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^Usage: p2p get \[options\] <torrent>/);
    assert.match(get.stdout, /\n### `p2p get X\.torrent\|URL\|MAGNET`\n/);
    assert.doesNotMatch(get.stdout, /\n### `p2p (seed|tracker)/, "only its own section");
    const shell = await runP2p(dir, "help", "shell");
    assert.match(shell.stdout, /\n## The report's workflow: `publish`, `fetch`, `shell`\n/);
    const all = await runP2p(dir, "help");
    assert.match(all.stdout, /^Usage: p2p \[options\] \[command\]/);
    const unknown = await runP2p(dir, "help", "frobnicate");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^p2p: no command "frobnicate": make-torrent, info, /);
    assert.match((await runP2p(dir, "get", "--help")).stdout, /The manual: p2p help get\n$/);
  });
});

Deno.test("every command has its section in the README, the manual", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const listed = await runP2p(".", "--help");
  const commands = [...listed.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((match) => match[1])
    .filter((name) => !["help", "completions"].includes(name));
  assert.ok(commands.length >= 9, listed.stdout);
  for (const command of commands) {
    assert.ok(manualSection(readme, command), `no README heading names p2p ${command}`);
  }
  assert.equal(manualSection("## a\ntext\n## b\n", "c"), undefined);
});
