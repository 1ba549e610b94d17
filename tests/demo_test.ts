import assert from "node:assert/strict";

Deno.test("deno task demo replays the report's two cases and checks every copy", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: new URL("..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, stdout + new TextDecoder().decode(output.stderr));
  const [, case1, case2] = stdout.split(/== Case \d/);
  for (const client of ["client2", "client3"]) {
    assert.match(case1, new RegExp(`client1: piece \\d of eBook\\.txt from .*${client}`));
  }
  for (const client of ["client1", "client2", "client3"]) {
    assert.match(case2, new RegExp(`client4: piece \\d of eBook\\.txt from .*${client}`));
  }
  assert.match(stdout, /tracker: client2 published eBook\.txt/);
  assert.match(
    stdout,
    /tracker: client1 127\.0\.0\.1:\d+ joined eBook\.txt \[[0-9a-f]{8}\] as leecher/,
  );
  for (const client of ["client1", "client2", "client3", "client4"]) {
    assert.match(stdout, new RegExp(`${client}/eBook\\.txt  [0-9a-f]{40}  ok`));
  }
  assert.match(stdout, /Demo passed: both cases replayed, every copy identical\./);
});
