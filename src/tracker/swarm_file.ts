/**
 * The tracker's saved swarms as bytes, and back: a small binary format of
 * our own, read strictly.
 *
 * Layout, integers little-endian:
 *
 * ```
 * "p2pswarm" (8 bytes) | version u32 = 1 | saved at f64 (seconds, the tracker's clock)
 * per swarm:
 *   info hash (20) | downloaded u32 | IPv4 peers u32 | of them seeders u32
 *   | IPv6 peers u32 | of them seeders u32
 *   | IPv4 compact forms (6 bytes each, seeders first) | IPv6 compact forms (18 each)
 *   | seconds left u32 for each IPv4 peer, then for each IPv6 peer
 * swarm count u32 | CRC-32 of every byte before it u32
 * ```
 *
 * A peer costs 10 bytes (22 for IPv6): a million peers save in about 10 MB.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import type { PeerRecords } from "./peer_list.ts";
import type { SavedSwarm } from "./swarm_registry.ts";
import { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH } from "../transport/address.ts";

/** The file's first bytes, "p2pswarm". */
export const SWARM_FILE_MAGIC = new TextEncoder().encode("p2pswarm");
/** The layout above; another number is another layout, refused. */
export const SWARM_FILE_VERSION = 1;

const HEADER_BYTES = 20;
const SWARM_HEADER_BYTES = 40;
const TRAILER_BYTES = 8;
/** Bytes encoded before a chunk is handed out. */
const CHUNK_BYTES = 1 << 20;

/** The bytes are not a swarm file this version wrote, whole. */
export class SwarmFileError extends Error {
  /**
   * @example
   * ```ts
   * throw new SwarmFileError("truncated");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "SwarmFileError";
  }
}

/**
 * Encodes saved swarms, in chunks of about a MiB: a swarm is read from
 * `swarms` only when the chunk before it has been taken, and each chunk is
 * valid until the next is asked for (write it first).
 *
 * @param savedAt the tracker's clock in seconds when `swarms` began
 * @example
 * ```ts
 * for (const chunk of encodeSwarmFile(snapshot.savedAt, snapshot.swarms)) {
 *   await file.write(chunk);
 * }
 * ```
 */
export function* encodeSwarmFile(
  savedAt: number,
  swarms: Iterable<SavedSwarm>,
): Generator<Uint8Array> {
  let buffer = new Uint8Array(CHUNK_BYTES);
  let view = new DataView(buffer.buffer);
  let used = 0;
  let crc = 0;
  const flush = function* (): Generator<Uint8Array> {
    const chunk = buffer.subarray(0, used);
    crc = crc32(chunk, crc);
    used = 0;
    yield chunk;
  };
  buffer.set(SWARM_FILE_MAGIC);
  view.setUint32(8, SWARM_FILE_VERSION, true);
  view.setFloat64(12, savedAt, true);
  used = HEADER_BYTES;
  let count = 0;
  for (const swarm of swarms) {
    const size = swarmBytes(swarm);
    if (used + size > buffer.length) {
      yield* flush();
      if (size > buffer.length) {
        buffer = new Uint8Array(size);
        view = new DataView(buffer.buffer);
      }
    }
    used = writeSwarm(swarm, buffer, view, used);
    count++;
  }
  if (used + TRAILER_BYTES > buffer.length) yield* flush();
  view.setUint32(used, count, true);
  used += 4;
  crc = crc32(buffer.subarray(0, used), crc);
  view.setUint32(used, crc, true);
  used += 4;
  yield buffer.subarray(0, used);
}

function swarmBytes({ ipv4, ipv6 }: SavedSwarm): number {
  return SWARM_HEADER_BYTES + ipv4.compact.length + ipv6.compact.length +
    4 * (ipv4.secondsLeft.length + ipv6.secondsLeft.length);
}

function writeSwarm(swarm: SavedSwarm, out: Uint8Array, view: DataView, offset: number): number {
  for (let i = 0; i < 20; i++) out[offset + i] = swarm.infoHash.charCodeAt(i);
  view.setUint32(offset + 20, Math.min(swarm.downloaded, 0xffffffff), true);
  view.setUint32(offset + 24, swarm.ipv4.secondsLeft.length, true);
  view.setUint32(offset + 28, swarm.ipv4.seeders, true);
  view.setUint32(offset + 32, swarm.ipv6.secondsLeft.length, true);
  view.setUint32(offset + 36, swarm.ipv6.seeders, true);
  offset += SWARM_HEADER_BYTES;
  out.set(swarm.ipv4.compact, offset);
  offset += swarm.ipv4.compact.length;
  out.set(swarm.ipv6.compact, offset);
  offset += swarm.ipv6.compact.length;
  for (const peers of [swarm.ipv4, swarm.ipv6]) {
    for (const seconds of peers.secondsLeft) {
      view.setUint32(offset, seconds, true);
      offset += 4;
    }
  }
  return offset;
}

/**
 * Decodes a swarm file whole, checking everything it can before anything
 * is used: magic, version, checksum, every length and count, ports.
 *
 * @throws {SwarmFileError} naming the first thing wrong.
 * @example
 * ```ts
 * const { savedAt, swarms } = decodeSwarmFile(await Deno.readFile(path));
 * ```
 */
export function decodeSwarmFile(bytes: Uint8Array): { savedAt: number; swarms: SavedSwarm[] } {
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) {
    throw new SwarmFileError(`truncated: ${bytes.length} bytes`);
  }
  if (!SWARM_FILE_MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new SwarmFileError("not a swarm file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SWARM_FILE_VERSION) {
    throw new SwarmFileError(`version ${version}, this tracker reads ${SWARM_FILE_VERSION}`);
  }
  const crcAt = bytes.length - 4;
  if (crc32(bytes.subarray(0, crcAt)) !== view.getUint32(crcAt, true)) {
    throw new SwarmFileError("checksum mismatch (truncated or corrupt)");
  }
  const savedAt = view.getFloat64(12, true);
  if (!Number.isSafeInteger(savedAt) || savedAt < 0) {
    throw new SwarmFileError(`bad save time ${savedAt}`);
  }
  const end = bytes.length - TRAILER_BYTES;
  const swarms: SavedSwarm[] = [];
  let offset = HEADER_BYTES;
  while (offset < end) {
    if (offset + SWARM_HEADER_BYTES > end) throw new SwarmFileError("truncated swarm");
    const infoHash = String.fromCharCode(...bytes.subarray(offset, offset + 20));
    const downloaded = view.getUint32(offset + 20, true);
    const counts = [24, 28, 32, 36].map((at) => view.getUint32(offset + at, true));
    const [count4, seeders4, count6, seeders6] = counts;
    if (seeders4 > count4 || seeders6 > count6) {
      throw new SwarmFileError("a swarm has more seeders than peers");
    }
    if (count4 + count6 === 0 && downloaded === 0) {
      throw new SwarmFileError("a swarm has neither peers nor downloads");
    }
    const compact4 = count4 * COMPACT_IPV4_LENGTH;
    const compact6 = count6 * COMPACT_IPV6_LENGTH;
    const size = SWARM_HEADER_BYTES + compact4 + compact6 + 4 * (count4 + count6);
    if (offset + size > end) throw new SwarmFileError("truncated swarm");
    let at = offset + SWARM_HEADER_BYTES;
    const peers = (count: number, seeders: number, entry: number, timesAt: number) => {
      const compact = bytes.subarray(at, at + count * entry);
      at += count * entry;
      const secondsLeft = new Uint32Array(count);
      for (let i = 0; i < count; i++) {
        if (compact[i * entry + entry - 2] === 0 && compact[i * entry + entry - 1] === 0) {
          throw new SwarmFileError("a peer has port 0");
        }
        secondsLeft[i] = view.getUint32(timesAt + 4 * i, true);
      }
      return { seeders, compact, secondsLeft } satisfies PeerRecords;
    };
    const times = offset + SWARM_HEADER_BYTES + compact4 + compact6;
    const ipv4 = peers(count4, seeders4, COMPACT_IPV4_LENGTH, times);
    const ipv6 = peers(count6, seeders6, COMPACT_IPV6_LENGTH, times + 4 * count4);
    swarms.push({ infoHash, downloaded, ipv4, ipv6 });
    offset += size;
  }
  const declared = view.getUint32(end, true);
  if (declared !== swarms.length) {
    throw new SwarmFileError(`${swarms.length} swarms where the file says ${declared}`);
  }
  return { savedAt, swarms };
}
