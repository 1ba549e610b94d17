// A WebTorrent peer for interop tests, run by node with the WebTorrent of tests/interop/webtorrent
// (npm install --ignore-scripts there):
//
//   node webtorrent_peer.mjs [--utp] seed FILE_OR_DIR ANNOUNCE_URL PORT TORRENT_OUT
//       makes a torrent of FILE_OR_DIR announcing to ANNOUNCE_URL, writes it to TORRENT_OUT,
//       listens on PORT (0: any), prints "seeding INFOHASH PORT" and seeds until killed
//   node webtorrent_peer.mjs [--utp] leech TORRENT DIR
//       downloads TORRENT into DIR, prints "done SECONDS" and exits 0
//
// Both print "wire IP:PORT METHOD TYPE" for each peer once its handshake is done, METHOD being
// how the connection came out: "rc4" or "plaintext" after an encrypted (MSE) handshake, "none"
// after a plain one; TYPE is WebTorrent's own name for the connection's transport and direction
// (tcpOutgoing, tcpIncoming, utpOutgoing, utpIncoming). Everything a test is not about is off
// (DHT, LSD, port mapping, PEX, and uTP unless --utp is given: then uTP is on, WebTorrent's
// default, and it dials every IPv4 peer over uTP first, TCP only after that fails). --utp exits 1
// when WebTorrent has no uTP (its native addon utp-native did not load). `secure` is left at its
// default (1): every outgoing connection opens with the encrypted handshake, falling back to
// plaintext, and incoming ones may be either.
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const installed = createRequire(new URL("../webtorrent/package.json", import.meta.url));
const { default: WebTorrent } = await import(
  pathToFileURL(installed.resolve("webtorrent/index.js")).href
);

const utp = process.argv.includes("--utp");
const [mode, ...args] = process.argv.slice(2).filter((arg) => arg !== "--utp");
const started = performance.now();

if (utp && !WebTorrent.UTP_SUPPORT) fail("uTP asked for, but utp-native did not load");

const client = new WebTorrent({
  dht: false,
  lsd: false,
  natUpnp: false,
  natPmp: false,
  utPex: false,
  utp,
  webSeeds: false,
  // The torrent's own trackers, with no WebRTC offers in the announces (there is no WebRTC here).
  tracker: { wrtc: false },
  torrentPort: mode === "seed" ? Number(args[2]) : 0,
});
client.on("error", fail);

/**
 * Prints one line per peer whose BitTorrent handshake is done, with how it is encrypted and
 * over what it came (a wire's type is its peer's: WebTorrent names it when it dials or accepts).
 */
function reportWires(torrent) {
  torrent.on("wire", (wire) => {
    const method = { 1: "plaintext", 2: "rc4" }[wire._encryptionMethod] ?? "none";
    const address = `${wire.remoteAddress?.replace(/^::ffff:/, "")}:${wire.remotePort}`;
    say(`wire ${address} ${method} ${wire.type}`);
  });
  torrent.on("error", fail);
}

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(error) {
  process.stderr.write(`webtorrent_peer: ${error?.message ?? error}\n`);
  process.exit(1);
}

if (mode === "seed" && args.length === 4) {
  const [input, announce, , torrentOut] = args;
  client.seed(input, { announce: [announce] }, async (torrent) => {
    reportWires(torrent);
    await writeFile(torrentOut, torrent.torrentFile);
    say(`seeding ${torrent.infoHash} ${client.torrentPort}`);
  });
} else if (mode === "leech" && args.length === 2) {
  const [torrentPath, dir] = args;
  const torrent = client.add(torrentPath, { path: dir });
  reportWires(torrent);
  torrent.on("done", () => {
    say(`done ${((performance.now() - started) / 1000).toFixed(3)}`);
    client.destroy(() => process.exit(0));
  });
} else {
  process.stderr.write(
    "usage: webtorrent_peer.mjs [--utp] seed FILE_OR_DIR ANNOUNCE_URL PORT TORRENT_OUT | " +
      "[--utp] leech TORRENT DIR\n",
  );
  process.exit(2);
}
