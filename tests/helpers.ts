/**
 * Shared test helpers: an in-process CLI environment, temporary
 * directories, hand-built torrents and a lookup for external tools.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type EncodableValue, encode } from "../src/bencode/mod.ts";
import type { CliEnv } from "../src/cli/env.ts";
import { runCli } from "../src/cli/program.ts";

/**
 * Every p2p this module starts (and any child of this process) discovers
 * nothing on its own: no public DHT routers, no local discovery multicast
 * (see `P2P_NO_DISCOVERY` in src/cli/discovery.ts). Set here, where the
 * processes are started, so that no test can forget it.
 */
Deno.env.set("P2P_NO_DISCOVERY", "1");

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `p2p ARGS` in-process with `cwd` and captures its output. */
export async function runP2p(cwd: string, ...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const env: CliEnv = {
    args,
    cwd,
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    interactive: false,
    now: () => new Date("2024-12-01T00:00:00Z"),
    stopRequested: () => new AbortController().signal,
  };
  const code = await runCli(env);
  return { code, stdout, stderr };
}

/** Runs `fn` with a fresh temporary directory that is removed afterwards, pass or fail. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "p2p-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Deterministic pseudo-random bytes (xorshift), so test data is the same every run. */
export function testBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** SHA-1 of each `pieceLength` piece of `data`, concatenated. */
export function pieceHashesOf(data: Uint8Array, pieceLength: number): Uint8Array {
  const count = Math.ceil(data.length / pieceLength);
  const hashes = new Uint8Array(count * 20);
  for (let i = 0; i < count; i++) {
    const piece = data.subarray(i * pieceLength, (i + 1) * pieceLength);
    hashes.set(createHash("sha1").update(piece).digest(), i * 20);
  }
  return hashes;
}

/** A valid single-file torrent's dictionaries, to be broken by hostile-input tests. */
export function validTorrentFields(): {
  top: Record<string, EncodableValue>;
  info: Record<string, EncodableValue>;
} {
  const data = testBytes(40000);
  const info: Record<string, EncodableValue> = {
    name: "data.bin",
    "piece length": 16384,
    pieces: pieceHashesOf(data, 16384),
    length: data.length,
  };
  return { top: { announce: "http://127.0.0.1:6969/announce", info }, info };
}

/** Encodes `top` (with its `info`) as a .torrent. */
export function torrentBytes(top: Record<string, EncodableValue>): Uint8Array {
  return encode(top);
}

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  try {
    const result = new Deno.Command("sh", {
      args: ["-c", `command -v ${command}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return result.success;
  } catch {
    return false;
  }
}

/** Runs an external program; fails the test with its output when it exits non-zero. */
export async function runTool(command: string, args: string[], cwd?: string): Promise<string> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${output.code}: ${
        new TextDecoder().decode(output.stderr)
      }${text}`,
    );
  }
  return text;
}

/**
 * Interop tests run wherever their tool is installed, and always in CI,
 * where a missing tool is a failure rather than a skip.
 */
export function needsTools(...commands: string[]): boolean {
  return Deno.env.get("CI") !== undefined || commands.every(hasCommand);
}

/** A port on 127.0.0.1 that is free right now (for programs that cannot take port 0). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
