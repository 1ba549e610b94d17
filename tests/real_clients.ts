/**
 * Command lines of the real BitTorrent programs used by interop tests and
 * benchmarks, with the loopback settings of `shared/REAL-CLIENTS.md`.
 *
 * @module
 */
import { freePort } from "./helpers.ts";

/** Debian's python3-libtorrent is built for the system Python, not any other on the PATH. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
/**
 * transmission-cli (3.00) downloading `torrent` into `dir`, then seeding
 * until killed (with the data already there it checks it and seeds). Its
 * settings, written into `configDir`, leave out µTP (it would try that
 * first, and p2p speaks TCP only), DHT, LPD, PEX and port mapping.
 */
export async function transmissionCli(
  torrent: string,
  dir: string,
  configDir: string,
): Promise<string[]> {
  await Deno.mkdir(configDir, { recursive: true });
  await Deno.writeTextFile(
    `${configDir}/settings.json`,
    JSON.stringify({
      "utp-enabled": false,
      "dht-enabled": false,
      "lpd-enabled": false,
      "pex-enabled": false,
      "port-forwarding-enabled": false,
    }),
  );
  return ["transmission-cli", "-g", configDir, "-w", dir, "-M", "-p", "51413", torrent];
}

/** Our python3-libtorrent peer (`seed` or `leech`). */
export const LT_PEER = new URL("./interop/tools/lt_peer.py", import.meta.url).pathname;

const ARIA2C_LOOPBACK = [
  "--enable-dht=false",
  "--enable-dht6=false",
  "--bt-enable-lpd=false",
  "--enable-peer-exchange=false",
  "--summary-interval=0",
  "--console-log-level=warn",
];

/** aria2c downloading `torrent` into `dir`, exiting 0 once complete. */
export function aria2cLeech(torrent: string, dir: string): string[] {
  return [
    "aria2c",
    `--dir=${dir}`,
    "--seed-time=0",
    "--file-allocation=none",
    "--bt-stop-timeout=60",
    `--listen-port=${freePort()}`,
    ...ARIA2C_LOOPBACK,
    torrent,
  ];
}

/** aria2c checking the data in `dir` and seeding it until killed. */
export function aria2cSeed(torrent: string, dir: string): string[] {
  return [
    "aria2c",
    "-V",
    "--seed-ratio=0.0",
    `--dir=${dir}`,
    `--listen-port=${freePort()}`,
    ...ARIA2C_LOOPBACK,
    torrent,
  ];
}

/**
 * A libtorrent peer: `seed` (until `seconds` pass) or `leech` (until done)
 * of a .torrent or a magnet link, on `port` (a free one unless given),
 * with `rateLimit` bytes per second up (seed) or down (leech) if given.
 */
export function libtorrentPeer(
  mode: "seed" | "leech",
  torrent: string,
  dir: string,
  seconds = 60,
  options: { port?: number; rateLimit?: number } = {},
): string[] {
  const port = String(options.port ?? freePort());
  const limit = options.rateLimit ? [String(options.rateLimit)] : [];
  return [SYSTEM_PYTHON, LT_PEER, mode, torrent, dir, port, String(seconds), ...limit];
}

/** Runs a command line to completion with its output captured. */
export function run(command: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(command[0], { args: command.slice(1), stdout: "piped", stderr: "piped" })
    .output();
}

/** Starts a command line in the background with its output captured. */
export function spawn(command: string[]): Deno.ChildProcess {
  return new Deno.Command(command[0], { args: command.slice(1), stdout: "piped", stderr: "piped" })
    .spawn();
}

/**
 * Debian's opentracker on 127.0.0.1:`port`, serving only `infoHashesHex`
 * (its build is in whitelist mode), with `home` as its directory.
 */
export async function startOpentracker(
  home: string,
  port: number,
  infoHashesHex: readonly string[],
): Promise<Deno.ChildProcess> {
  await Deno.mkdir(home, { recursive: true });
  // It drops privileges when run as root, so its directory must be readable by anyone.
  await Deno.chmod(home, 0o755);
  await Deno.writeTextFile(`${home}/whitelist.txt`, infoHashesHex.join("\n") + "\n");
  const address = ["-i", "127.0.0.1", "-p", String(port), "-P", String(port)];
  return new Deno.Command("opentracker", {
    args: [...address, "-d", home, "-w", "whitelist.txt"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}
