import assert from "node:assert/strict";

Deno.test("deno task demo runs the main job and passes its own checks", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: new URL("..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /name {8}eBook\.txt/);
  assert.match(stdout, /Checked: all 7 piece hashes match eBook\.txt\. Demo passed\./);
});
