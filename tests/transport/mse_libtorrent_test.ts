/**
 * Message stream encryption against python3-libtorrent, a client whose MSE
 * every other client talks to: we dial it, it dials us, with encryption
 * forced on its side, and data crosses the encrypted (or plaintext-selected)
 * stream as real BitTorrent messages.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readHandshake } from "../../src/client/handshake_io.ts";
import { InfoHash } from "../../src/metainfo/mod.ts";
import { systemClock } from "../../src/session/mod.ts";
import {
  acceptMse,
  initiateMse,
  type MseMethod,
  type PeerStream,
  ServedTorrents,
  tcpTransport,
  writeAll,
} from "../../src/transport/mod.ts";
import {
  BLOCK_SIZE,
  encodeHandshake,
  encodeMessage,
  generatePeerId,
  type Message,
  MessageReader,
} from "../../src/wire/mod.ts";
import { freePort, needsTools, withTempDir } from "../helpers.ts";
import { SYSTEM_PYTHON } from "../real_clients.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;
const DATA_LENGTH = 256 * 1024;
const PIECE_LENGTH = 64 * 1024;

/**
 * A libtorrent seed of `data.bin` (made here, random) on `port`, with
 * encryption forced both ways at `level`; it prints "ready INFOHASH" once
 * seeding, then dials `dial_port` if given, and serves for a minute at most.
 */
const LT_SEED = `
import os, sys, time
import libtorrent as lt
port, level, directory = int(sys.argv[1]), sys.argv[2], sys.argv[3]
dial = int(sys.argv[4]) if len(sys.argv) > 4 else 0
path = os.path.join(directory, "data.bin")
with open(path, "wb") as f:
    f.write(os.urandom(${DATA_LENGTH}))
fs = lt.file_storage()
lt.add_files(fs, path)
# v1 only: a hybrid torrent may dial with its truncated v2 hash, which we do not serve.
t = lt.create_torrent(fs, ${PIECE_LENGTH}, flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(t, directory)
info = lt.torrent_info(lt.bdecode(lt.bencode(t.generate())))
session = lt.session({
    "listen_interfaces": f"127.0.0.1:{port}",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
    "in_enc_policy": int(lt.enc_policy.forced), "out_enc_policy": int(lt.enc_policy.forced),
    "allowed_enc_level": int(getattr(lt.enc_level, level)),
    "prefer_rc4": level != "plaintext",
})
handle = session.add_torrent({"ti": info, "save_path": directory})
deadline = time.time() + 60
while not handle.status().is_seeding and time.time() < deadline:
    time.sleep(0.05)
print("ready", str(info.info_hash()), flush=True)
if dial:
    handle.connect_peer(("127.0.0.1", dial))
while time.time() < deadline:
    time.sleep(0.2)
`;

interface Seed {
  readonly infoHash: InfoHash;
  readonly data: Uint8Array;
  stop(): Promise<void>;
}

async function startSeed(dir: string, port: number, level: string, dial?: number): Promise<Seed> {
  const args = ["-c", LT_SEED, String(port), level, dir, ...(dial ? [String(dial)] : [])];
  const child = new Deno.Command(SYSTEM_PYTHON, { args, stdout: "piped", stderr: "inherit" })
    .spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`libtorrent exited before seeding: ${text}`);
    text += value;
  }
  lines.releaseLock();
  child.stdout.cancel().catch(() => {});
  const [word, hex] = text.trim().split(" ");
  assert.equal(word, "ready");
  return {
    infoHash: InfoHash.fromHex(hex),
    data: await Deno.readFile(join(dir, "data.bin")),
    async stop() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

/** Sends `interested`, requests every block and returns the data, as a leech would. */
async function download(stream: PeerStream, leftover: Uint8Array): Promise<Uint8Array> {
  const reader = new MessageReader();
  const data = new Uint8Array(DATA_LENGTH);
  let received = 0;
  let requested = false;
  const handle = async (messages: Message[]) => {
    for (const message of messages) {
      if ((message.type === "unchoke") && !requested) {
        requested = true;
        for (let begin = 0; begin < DATA_LENGTH; begin += BLOCK_SIZE) {
          const index = Math.floor(begin / PIECE_LENGTH);
          const offset = begin % PIECE_LENGTH;
          await writeAll(
            stream,
            encodeMessage({ type: "request", index, begin: offset, length: BLOCK_SIZE }),
          );
        }
      } else if (message.type === "piece") {
        data.set(message.block, message.index * PIECE_LENGTH + message.begin);
        received += message.block.length;
      }
    }
  };
  await writeAll(stream, encodeMessage({ type: "interested" }));
  await handle(reader.push(leftover));
  const buffer = new Uint8Array(64 * 1024);
  while (received < DATA_LENGTH) {
    const count = await stream.read(buffer);
    assert.notEqual(count, null, `libtorrent closed the connection after ${received} bytes`);
    await handle(reader.push(buffer.subarray(0, count!)));
  }
  return data;
}

const dials: [string, MseMethod[], MseMethod][] = [
  ["rc4", ["rc4"], "rc4"],
  ["both", ["rc4", "plaintext"], "rc4"],
  ["plaintext", ["rc4", "plaintext"], "plaintext"],
];
for (const [level, provide, expected] of dials) {
  Deno.test({
    name: `MSE interop: we dial libtorrent (encryption forced, ${level}) offering ${provide}, ` +
      `it selects ${expected}, and we download its data`,
    ignore: !needsTools(SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const port = freePort();
        const seed = await startSeed(dir, port, level);
        try {
          const socket = await tcpTransport.dial({ ip: "127.0.0.1", port }, 5_000);
          const { stream, method } = await initiateMse(socket, {
            infoHash: seed.infoHash,
            provide,
            initialPayload: encodeHandshake(seed.infoHash, generatePeerId("0.1.0")),
            clock: systemClock,
            timeoutMs: HANDSHAKE_TIMEOUT_MS,
          });
          assert.equal(method, expected);
          const { handshake, leftover } = await readHandshake(stream);
          assert.ok(handshake.infoHash.equals(seed.infoHash));
          assert.deepEqual(await download(stream, leftover), seed.data);
          stream.close();
        } finally {
          await seed.stop();
        }
      });
    },
  });
}

Deno.test({
  name: "MSE interop: libtorrent dials us with encryption forced; we find its torrent and download",
  ignore: !needsTools(SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const listener = tcpTransport.listen("127.0.0.1", 0);
      const seed = await startSeed(dir, freePort(), "rc4", listener.port);
      try {
        const served = new ServedTorrents();
        served.add(seed.infoHash);
        const iterator = listener[Symbol.asyncIterator]();
        const { value: socket } = await iterator.next();
        const first = new Uint8Array(20);
        const count = await (socket as PeerStream).read(first);
        assert.ok(count !== null && count > 0);
        assert.notEqual(first[0], 19, "not a plaintext BitTorrent handshake");
        const { stream, infoHash, method } = await acceptMse(socket as PeerStream, {
          firstBytes: first.subarray(0, count),
          torrents: served,
          accept: ["rc4"],
          clock: systemClock,
          timeoutMs: HANDSHAKE_TIMEOUT_MS,
        });
        assert.equal(method, "rc4");
        assert.ok(infoHash.equals(seed.infoHash));
        const { handshake, leftover } = await readHandshake(stream);
        assert.ok(handshake.infoHash.equals(seed.infoHash));
        await writeAll(stream, encodeHandshake(infoHash, generatePeerId("0.1.0")));
        assert.deepEqual(await download(stream, leftover), seed.data);
        stream.close();
      } finally {
        listener.close();
        await seed.stop();
      }
    });
  },
});
