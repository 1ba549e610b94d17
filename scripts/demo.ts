// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno task demo`: the report's two cases, replayed with real processes on
 * loopback: a tracker and four clients in temporary directories.
 * - Case 1: client2 and client3 publish eBook.txt; client1 fetches it,
 *   receiving pieces from both.
 * - Case 2: client1 publishes the file it fetched; client4 fetches it from
 *   clients 1, 2 and 3.
 * Ends by checking every copy's SHA-1 against the original. Exits non-zero,
 * saying what failed, on any failure; cleans up every process and file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { EBOOK_SIZE, ebookText } from "../examples/ebook.ts";
import { type P2pProcess, spawnP2p } from "../tests/process_helpers.ts";

/** Publishers upload at most this fast, so a fetch lasts long enough to use every peer. */
const UPLOAD_RATE = "512K";

const processes: P2pProcess[] = [];
const peerNames = new Map<string, string>();

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function sha1(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

async function publish(dir: string, client: string, tracker: string): Promise<void> {
  console.log(`${client}> publish eBook.txt`);
  const process = spawnP2p(
    dir,
    "publish",
    "eBook.txt",
    "-t",
    tracker,
    "-d",
    client,
    "--name",
    client,
    "-l",
    "512K",
    "--max-upload-rate",
    UPLOAD_RATE,
  );
  processes.push(process);
  const [, port] = await process.waitForLine(/^seeding eBook\.txt \([0-9a-f]{40}\) on port (\d+)$/);
  peerNames.set(`127.0.0.1:${port}`, client);
  const said = process.stderr().split("\n").find((line) => /published/.test(line));
  console.log(`${client}: ${said} — seeding on port ${port}`);
}

async function fetch(
  dir: string,
  client: string,
  tracker: string,
  expectFrom: string[],
): Promise<void> {
  console.log(`${client}> fetch eBook.txt`);
  const process = spawnP2p(
    dir,
    "fetch",
    "eBook.txt",
    "-t",
    tracker,
    "-d",
    client,
    "--name",
    client,
    "-v",
    "--timeout",
    "30",
  );
  const status = await process.child.status;
  await process.stop();
  if (!status.success) {
    throw new Error(`${client} could not fetch eBook.txt: ${process.stderr().trim()}`);
  }
  const from = new Set<string>();
  for (const line of process.stderr().split("\n")) {
    const found = /^found (.*)$/.exec(line);
    if (found) console.log(`${client}: tracker answered: ${found[1]}`);
    // A -v line: its timestamp, then the event.
    const piece = /^\S+ piece (\d+) from (.*)$/.exec(line);
    if (!piece) continue;
    const senders = piece[2].split(", ").map((address) => peerNames.get(address) ?? address);
    senders.forEach((sender) => from.add(sender));
    console.log(`${client}: piece ${piece[1]} of eBook.txt from ${senders.join(" and ")}`);
  }
  console.log(`${client}: ${process.stdoutLines().at(-1)} is complete, every piece SHA-1 verified`);
  const missing = expectFrom.filter((peer) => !from.has(peer));
  if (missing.length > 0) throw new Error(`${client} received no piece from ${missing.join(", ")}`);
}

const dir = await Deno.makeTempDir({ prefix: "p2p-demo-" });
let failed = false;
try {
  step("Start the tracker and four clients, each with its own directory");
  for (const client of ["client1", "client2", "client3", "client4"]) {
    await Deno.mkdir(join(dir, client));
  }
  const original = new TextEncoder().encode(ebookText());
  for (const client of ["client2", "client3"]) {
    await Deno.writeFile(join(dir, client, "eBook.txt"), original);
  }
  console.log(`client2 and client3 hold eBook.txt (${EBOOK_SIZE} bytes, SHA-1 ${sha1(original)})`);
  const tracker = spawnP2p(dir, "tracker", "-p", "0", "-d", join(dir, "tracker-data"));
  processes.push(tracker);
  const [, announceUrl] = await tracker.waitForLine(/^listening on (\S+)$/);
  const trackerUrl = announceUrl.replace(/\/announce$/, "");
  console.log(`tracker listening on ${trackerUrl}`);

  step("Case 1: client2 and client3 publish eBook.txt; client1 fetches it from both");
  await publish(dir, "client2", trackerUrl);
  await publish(dir, "client3", trackerUrl);
  await fetch(dir, "client1", trackerUrl, ["client2", "client3"]);

  step("Case 2: client1 publishes the file it fetched; client4 fetches it from clients 1, 2 and 3");
  await publish(dir, "client1", trackerUrl);
  await fetch(dir, "client4", trackerUrl, ["client1", "client2", "client3"]);

  step("What the tracker saw");
  for (const line of tracker.stderr().trim().split("\n")) {
    console.log(`tracker: ${line.replace(/^\S+ /, "")}`);
  }

  step("Check: every copy's SHA-1 equals the original's");
  for (const client of ["client1", "client2", "client3", "client4"]) {
    const digest = sha1(await Deno.readFile(join(dir, client, "eBook.txt")));
    if (digest !== sha1(original)) {
      throw new Error(`${client}'s eBook.txt differs from the original`);
    }
    console.log(`${client}/eBook.txt  ${digest}  ok`);
  }
  console.log("\nDemo passed: both cases replayed, every copy identical.");
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : error}`);
} finally {
  await Promise.all(processes.reverse().map((process) => process.stop()));
  await Deno.remove(dir, { recursive: true });
}
if (failed) Deno.exit(1);
