/**
 * `deno task install [--root DIR]`: puts `p2p` on the PATH from this clone
 * (`deno install --global`), with the permissions and V8 flag of
 * `deno task p2p` and this deno.json (its npm packages, its unstable
 * features). The command it installs runs this clone's main.ts, so a
 * `git pull` updates it; run again after moving the clone. Flags given are
 * passed to `deno install` (`--root DIR` puts it in DIR/bin instead of
 * ~/.deno/bin).
 *
 * @module
 */
import { PERMISSIONS, V8_FLAGS } from "./p2p_runtime.ts";

const root = new URL("..", import.meta.url).pathname;
const installed = await new Deno.Command(Deno.execPath(), {
  args: [
    "install",
    "--global",
    "--force",
    "--name",
    "p2p",
    "--config",
    `${root}deno.json`,
    ...PERMISSIONS,
    V8_FLAGS,
    ...Deno.args,
    `${root}main.ts`,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(installed.code);
