/**
 * Engine tests run whole Clients in one process: an in-memory network, data
 * in memory, and a clock the test moves. No sockets, no files, no sleeps.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Client, type ClientOptions, type StoreOpener } from "../../src/client/mod.ts";
import {
  createMetainfo,
  type Metainfo,
  parseMetainfo,
  type TorrentInfo,
} from "../../src/metainfo/mod.ts";
import type { PieceStore } from "../../src/storage/mod.ts";
import { concat } from "../../src/tracker/mod.ts";
import { type Endpoint, type PeerStream, writeAll } from "../../src/transport/mod.ts";
import {
  encodeHandshake,
  encodeMessage,
  generatePeerId,
  type Handshake,
  HANDSHAKE_LENGTH,
  type Message,
  MessageReader,
  parseHandshake,
} from "../../src/wire/mod.ts";
import { testBytes } from "../helpers.ts";
import { ManualClock } from "./manual_clock.ts";
import { MemoryNetwork } from "./memory_network.ts";

/** A torrent made in memory, with its data. */
export interface TestTorrent {
  readonly metainfo: Metainfo;
  readonly data: Uint8Array;
}

/** A single-file torrent of `length` random bytes in pieces of `pieceLength`. */
export function testTorrent(
  length: number,
  pieceLength: number,
  seed = 1,
  options: { private?: boolean } = {},
): TestTorrent {
  const data = testBytes(length, seed);
  const hashes = new Uint8Array(Math.ceil(length / pieceLength) * 20);
  for (let offset = 0, at = 0; offset < length; offset += pieceLength, at += 20) {
    hashes.set(createHash("sha1").update(data.subarray(offset, offset + pieceLength)).digest(), at);
  }
  const bytes = createMetainfo({
    name: "data.bin",
    layout: { kind: "single", length },
    pieceLength,
    pieceHashes: hashes,
    private: options.private,
  });
  return { metainfo: parseMetainfo(bytes), data };
}

/**
 * A multi-file torrent named `album` of files of the given sizes (in that
 * order), their bytes one after another in `data`.
 */
export function multiFileTorrent(
  files: readonly (readonly [string, number])[],
  pieceLength: number,
  seed = 1,
): TestTorrent {
  const length = files.reduce((sum, [, size]) => sum + size, 0);
  const data = testBytes(length, seed);
  const hashes = new Uint8Array(Math.ceil(length / pieceLength) * 20);
  for (let offset = 0, at = 0; offset < length; offset += pieceLength, at += 20) {
    hashes.set(createHash("sha1").update(data.subarray(offset, offset + pieceLength)).digest(), at);
  }
  const bytes = createMetainfo({
    name: "album",
    layout: {
      kind: "multi",
      files: files.map(([path, size]) => ({ path: path.split("/"), length: size })),
    },
    pieceLength,
    pieceHashes: hashes,
  });
  return { metainfo: parseMetainfo(bytes), data };
}

/** A torrent's data in memory: what a Client writes, a test reads back. */
export class MemoryStore implements PieceStore {
  constructor(readonly info: TorrentInfo, readonly bytes: Uint8Array) {}

  read(offset: number, target: Uint8Array): Promise<void> {
    target.set(this.bytes.subarray(offset, offset + target.length));
    return Promise.resolve();
  }

  writePiece(index: number, piece: Uint8Array): Promise<void> {
    this.bytes.set(piece, index * this.info.pieceLength);
    return Promise.resolve();
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Opens torrents in memory: `seeded` data (by info hash) for seeders, zeros
 * otherwise; the recheck hashes what is there, as the disk's does.
 */
export function memoryStores(seeded: Map<string, Uint8Array> = new Map()): {
  open: StoreOpener;
  stores: Map<string, MemoryStore>;
} {
  const stores = new Map<string, MemoryStore>();
  const open: StoreOpener = (info) => {
    const bytes = seeded.get(info.infoHash.hex)?.slice() ?? new Uint8Array(info.totalLength);
    const store = new MemoryStore(info, bytes);
    stores.set(info.infoHash.hex, store);
    const verified = new Uint8Array(info.pieceCount);
    for (let index = 0; index < info.pieceCount; index++) {
      const piece = bytes.subarray(index * info.pieceLength, (index + 1) * info.pieceLength);
      const digest = createHash("sha1").update(piece).digest();
      const expected = info.pieceHashes.subarray(index * 20, index * 20 + 20);
      verified[index] = digest.every((byte, i) => byte === expected[i]) ? 1 : 0;
    }
    return Promise.resolve({ store, verified });
  };
  return { open, stores };
}

/** A little world for engine tests: one network, one clock, Clients at made-up addresses. */
export class EngineWorld {
  readonly network = new MemoryNetwork();
  readonly clock = new ManualClock();
  readonly #clients: Client[] = [];

  /** A Client at `ip`, with no peer sources (tests connect peers themselves). */
  client(ip: string, options: Partial<ClientOptions> & { seeded?: Map<string, Uint8Array> } = {}) {
    const stores = memoryStores(options.seeded);
    const client = Client.listen({
      clientName: "p2p test",
      transport: this.network.host(ip),
      datagrams: false,
      clock: this.clock,
      peerSources: [],
      openStore: stores.open,
      ...options,
    });
    this.#clients.push(client);
    return { client, stores: stores.stores, endpoint: { ip, port: client.port } };
  }

  /**
   * Lets `ms` of the clock pass a `step` at a time (a second unless told),
   * the engine running between steps as it would between real timers.
   */
  async pass(ms: number, step = 1000): Promise<void> {
    for (let passed = 0; passed < ms; passed += step) {
      this.clock.advance(Math.min(step, ms - passed));
      await settle();
    }
  }

  /** Closes every Client. */
  async close(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.close()));
  }
}

/** Turns of the event loop after which an engine over memory pipes has done all it can. */
const QUIET_TURNS = 50;

/**
 * Lets every pending promise and queued callback run, until `done` holds
 * (or, without `done`, until the engine has had time to do all it would):
 * the engine over memory pipes moves by promises alone, so this waits for
 * events, not for time.
 */
export async function settle(done?: () => boolean, turns = 2000): Promise<void> {
  const enough = done ?? (() => false);
  for (let turn = 0; turn < (done ? turns : QUIET_TURNS) && !enough(); turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (done && !done()) throw new Error("the engine did not get there");
}

/**
 * A peer the test scripts byte by byte: it handshakes, then the test sends
 * messages and reads what the other side sent.
 */
export class ScriptedPeer {
  readonly received: Message[] = [];
  readonly peerId = generatePeerId("9.9.9");
  /** The other side's handshake, once read. */
  handshake: Handshake | undefined;
  closed = false;
  /** A peer that stops reading its socket: what is sent to it piles up, then waits. */
  reading = true;
  /** Called with each message as it arrives: a scripted peer that answers. */
  onMessage: ((message: Message) => void) | undefined;
  #resume: (() => void) | undefined;
  readonly #reader = new MessageReader();

  private constructor(readonly stream: PeerStream) {}

  /**
   * Dials `to` from `from` (an address, or an IP with port 7000) and
   * exchanges handshakes for the torrent; with `fast` it announces the Fast
   * extension (BEP 6), as our own sessions do.
   */
  static async connect(
    world: EngineWorld,
    from: Endpoint | string,
    to: Endpoint,
    metainfo: Pick<Metainfo, "infoHash">,
    { fast = false }: { fast?: boolean } = {},
  ): Promise<ScriptedPeer> {
    const source = typeof from === "string" ? { ip: from, port: 7000 } : from;
    const peer = new ScriptedPeer(world.network.dial(source, to));
    await writeAll(peer.stream, encodeHandshake(metainfo.infoHash, peer.peerId, { fast }));
    peer.#readLoop();
    return peer;
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let handshake = new Uint8Array(0);
    while (true) {
      while (!this.reading) await new Promise<void>((resolve) => (this.#resume = resolve));
      const count = await this.stream.read(buffer).catch(() => null);
      if (count === null) break;
      let bytes = buffer.slice(0, count);
      if (handshake.length < HANDSHAKE_LENGTH) {
        const need = HANDSHAKE_LENGTH - handshake.length;
        handshake = new Uint8Array([...handshake, ...bytes.subarray(0, need)]);
        bytes = bytes.subarray(need);
        if (handshake.length === HANDSHAKE_LENGTH) this.handshake = parseHandshake(handshake);
      }
      for (const message of this.#reader.push(bytes)) {
        const kept = message.type === "piece"
          ? { ...message, block: message.block.slice() }
          : message;
        this.received.push(kept);
        this.onMessage?.(kept);
      }
    }
    this.closed = true;
  }

  /** Sends messages in one write. */
  async send(...messages: Message[]): Promise<void> {
    await writeAll(this.stream, concat(messages.map(encodeMessage))).catch(() => {});
  }

  /**
   * The extended messages received for extension `name` (by the id this
   * peer gave it in `ids`), their payloads.
   */
  extended(ids: Record<string, number>, name: string): Uint8Array[] {
    return this.ofType("extended").filter((m) => m.extendedId === ids[name]).map((m) => m.payload);
  }

  /** The messages received of one type. */
  ofType<T extends Message["type"]>(type: T): Extract<Message, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<Message, { type: T }>[];
  }

  /** Whether the last choke or unchoke we got was an unchoke. */
  get unchoked(): boolean {
    const last = this.received.filter((m) => m.type === "choke" || m.type === "unchoke").at(-1);
    return last?.type === "unchoke";
  }

  /** Stops reading (true) or reads again. */
  stopReading(stop: boolean): void {
    this.reading = !stop;
    if (!stop) this.#resume?.();
  }

  close(): void {
    this.closed = true;
    this.stream.close();
  }
}
