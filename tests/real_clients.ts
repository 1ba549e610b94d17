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
 * Transmission's `encryption` setting: 0 tolerates plaintext (its name:
 * "allow"), 1 prefers encryption (its default), 2 requires it.
 */
export type TransmissionEncryption = 0 | 1 | 2;

/**
 * transmission-cli (3.00) downloading `torrent` into `dir`, then seeding
 * until killed (with the data already there it checks it and seeds). Its
 * settings, written into `configDir`, leave out DHT, LPD, PEX and port
 * mapping, and µTP unless `options.utp` (then `utp-enabled` is left at its
 * default, on, and Transmission dials µTP first: the TCP tests keep it off
 * so that they test TCP); its encryption setting is its default unless
 * `options.encryption` is given.
 */
export async function transmissionCli(
  torrent: string,
  dir: string,
  configDir: string,
  options: { encryption?: TransmissionEncryption; utp?: boolean } = {},
): Promise<string[]> {
  await Deno.mkdir(configDir, { recursive: true });
  await Deno.writeTextFile(
    `${configDir}/settings.json`,
    JSON.stringify({
      ...(options.utp ? {} : { "utp-enabled": false }),
      "dht-enabled": false,
      "lpd-enabled": false,
      "pex-enabled": false,
      "port-forwarding-enabled": false,
      ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
    }),
  );
  return ["transmission-cli", "-g", configDir, "-w", dir, "-M", "-p", "51413", torrent];
}

/** Our python3-libtorrent peer (`seed` or `leech`). */
export const LT_PEER = new URL("./interop/tools/lt_peer.py", import.meta.url).pathname;

const ARIA2C_LOOPBACK = [
  "--enable-dht6=false",
  "--bt-enable-lpd=false",
  "--enable-peer-exchange=false",
  "--summary-interval=0",
  "--console-log-level=warn",
];

/** aria2c's options for encryption (MSE) and UDP trackers. */
export interface Aria2cOptions {
  /** `--bt-require-crypto=true --bt-min-crypto-level=arc4` (by default it starts plaintext). */
  requireCrypto?: boolean;
  /**
   * A fresh file for aria2c's DHT routing table: aria2c speaks to UDP
   * trackers (BEP 15) only through its DHT socket, so the DHT is on, with
   * no node to start from and no saved table, and it asks nobody but the
   * trackers. Without it the DHT is off and `udp://` trackers are skipped.
   */
  udpTrackersWithDhtFile?: string;
}

function aria2cOptions(options: Aria2cOptions): string[] {
  const crypto = options.requireCrypto
    ? ["--bt-require-crypto=true", "--bt-min-crypto-level=arc4"]
    : [];
  const dht = options.udpTrackersWithDhtFile
    ? [
      "--enable-dht=true",
      `--dht-listen-port=${freePort()}`,
      `--dht-file-path=${options.udpTrackersWithDhtFile}`,
    ]
    : ["--enable-dht=false"];
  return [...crypto, ...dht];
}

/** aria2c downloading `torrent` into `dir`, exiting 0 once complete. */
export function aria2cLeech(torrent: string, dir: string, options: Aria2cOptions = {}): string[] {
  return [
    "aria2c",
    `--dir=${dir}`,
    "--seed-time=0",
    "--file-allocation=none",
    "--bt-stop-timeout=60",
    `--listen-port=${freePort()}`,
    ...ARIA2C_LOOPBACK,
    ...aria2cOptions(options),
    torrent,
  ];
}

/** aria2c checking the data in `dir` and seeding it until killed. */
export function aria2cSeed(torrent: string, dir: string, options: Aria2cOptions = {}): string[] {
  return [
    "aria2c",
    "-V",
    "--seed-ratio=0.0",
    `--dir=${dir}`,
    `--listen-port=${freePort()}`,
    ...ARIA2C_LOOPBACK,
    ...aria2cOptions(options),
    torrent,
  ];
}

/**
 * A libtorrent peer: `seed` (until `seconds` pass) or `leech` (until done)
 * of a .torrent or a magnet link, on `port` (a free one unless given),
 * with `rateLimit` bytes per second up (seed) or down (leech) if given;
 * `encryption: "forced"` makes it speak RC4-encrypted (MSE) only, both ways,
 * and `"disabled"` plaintext only (libtorrent's default accepts both);
 * `transport: "utp"` makes uTP its only transport, in and out (TCP off), where
 * the default is TCP only.
 */
export function libtorrentPeer(
  mode: "seed" | "leech",
  torrent: string,
  dir: string,
  seconds = 60,
  options: {
    port?: number;
    rateLimit?: number;
    encryption?: "forced" | "disabled";
    transport?: "tcp" | "utp";
    /** DHT nodes to bootstrap through (`HOST:PORT`): the DHT is on with them. */
    dht?: readonly string[];
    /** Local service discovery on. */
    lsd?: boolean;
    /** The address to listen on (default 127.0.0.1). */
    listen?: string;
  } = {},
): string[] {
  const port = String(options.port ?? freePort());
  const transport = options.transport ? [`--transport=${options.transport}`] : [];
  const limit = options.rateLimit ? [String(options.rateLimit)] : [];
  const encryption = options.encryption ? [`--encryption=${options.encryption}`] : [];
  const discovery = [
    ...(options.dht ?? []).map((node) => `--dht=${node}`),
    ...(options.lsd ? ["--lsd"] : []),
    ...(options.listen ? [`--listen=${options.listen}`] : []),
  ];
  return [
    SYSTEM_PYTHON,
    LT_PEER,
    mode,
    torrent,
    dir,
    port,
    String(seconds),
    ...limit,
    ...encryption,
    ...transport,
    ...discovery,
  ];
}

/** Our WebTorrent peer (`seed` or `leech`), run by node. */
export const WEBTORRENT_PEER = new URL("./interop/tools/webtorrent_peer.mjs", import.meta.url)
  .pathname;

/** The WebTorrent it loads: `npm install --ignore-scripts` in tests/interop/webtorrent (.ci/run does). */
const WEBTORRENT_MODULE =
  new URL("./interop/webtorrent/node_modules/webtorrent/package.json", import.meta.url).pathname;

/** True when WebTorrent is installed for {@link WEBTORRENT_PEER}. */
export function hasWebTorrent(): boolean {
  try {
    return Deno.statSync(WEBTORRENT_MODULE).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether WebTorrent here can speak uTP: its native addon utp-native loads
 * (built by .ci/run with node-gyp, as `npm install --ignore-scripts` builds
 * nothing); `reason` says why not. Asked once, of node itself.
 */
export function webTorrentUtp(): { ok: boolean; reason: string } {
  if (webTorrentUtpAnswer) return webTorrentUtpAnswer;
  if (!hasWebTorrent()) {
    return webTorrentUtpAnswer = { ok: false, reason: "WebTorrent is not installed" };
  }
  try {
    const output = new Deno.Command("node", {
      args: ["-e", "require(process.argv[1])", UTP_NATIVE],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    const error = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
    webTorrentUtpAnswer = output.success
      ? { ok: true, reason: "" }
      : { ok: false, reason: `utp-native does not load: ${error}` };
  } catch (error) {
    webTorrentUtpAnswer = { ok: false, reason: `node could not run: ${error}` };
  }
  return webTorrentUtpAnswer;
}

let webTorrentUtpAnswer: { ok: boolean; reason: string } | undefined;

/** The uTP addon WebTorrent loads (lib/utp.cjs); without it WebTorrent quietly speaks TCP only. */
const UTP_NATIVE =
  new URL("./interop/webtorrent/node_modules/utp-native", import.meta.url).pathname;

/** What a WebTorrent peer speaks: uTP on (WebTorrent's default) or, unless asked, TCP only. */
export interface WebTorrentOptions {
  /** uTP on, as WebTorrent is by default: it dials IPv4 peers over uTP first. */
  utp?: boolean;
}

/**
 * A WebTorrent seed of `input` (a file or folder): it makes a torrent
 * announcing to `announceUrl`, writes it to `torrentOut`, listens on `port`
 * and prints `seeding INFOHASH PORT`.
 */
export function webtorrentSeed(
  input: string,
  announceUrl: string,
  torrentOut: string,
  port = 0,
  options: WebTorrentOptions = {},
): string[] {
  return [
    "node",
    WEBTORRENT_PEER,
    ...(options.utp ? ["--utp"] : []),
    "seed",
    input,
    announceUrl,
    String(port),
    torrentOut,
  ];
}

/** A WebTorrent leech of `torrent` into `dir`, printing `done S` and exiting 0 once complete. */
export function webtorrentLeech(
  torrent: string,
  dir: string,
  options: WebTorrentOptions = {},
): string[] {
  return ["node", WEBTORRENT_PEER, ...(options.utp ? ["--utp"] : []), "leech", torrent, dir];
}

/** Runs a command line to completion with its output captured. */
export function run(command: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(command[0], { args: command.slice(1), stdout: "piped", stderr: "piped" })
    .output();
}

/** Starts a command line in the background with its output captured. */
/**
 * Reads a child's stdout until it has said `text` (a libtorrent seed's
 * "seeding" or "announced"); the rest of its output is left unread.
 *
 * @throws {Error} with what it said, when it ends first.
 */
export async function waitForOutput(child: Deno.ChildProcess, text: string): Promise<void> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${text} never came; it said: ${said}`);
    said += value;
  }
  reader.releaseLock();
}

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
