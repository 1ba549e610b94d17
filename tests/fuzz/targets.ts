/**
 * The fuzz targets: one line each (name, function, allowed error classes,
 * seed corpora and tokens), at the end of this file. A target is a pure
 * function of bytes; beyond not throwing anything but its module's own
 * error class, most check what the module promises of its output.
 *
 * @module
 */
import { BencodeDict, BencodeError, type BencodeValue, decode } from "../../src/bencode/mod.ts";
import {
  decodeKrpc,
  encodeKrpc,
  KrpcError,
  MAX_NODES_PER_MESSAGE,
  MAX_VALUES_PER_MESSAGE,
} from "../../src/dht/mod.ts";
import {
  formatMagnet,
  type MagnetLink,
  MAX_MAGNET_LENGTH,
  MAX_MAGNET_PEERS,
  MAX_MAGNET_TRACKERS,
  MAX_MAGNET_WEB_SEEDS,
  MAX_PATH_DEPTH,
  MAX_PIECE_LENGTH,
  MAX_SELECTED_FILES,
  MAX_TOTAL_LENGTH,
  MetainfoError,
  MIN_PIECE_LENGTH,
  parseInfo,
  parseMagnet,
  parseMetainfo,
  type TorrentGeometry,
  type TorrentInfo,
} from "../../src/metainfo/mod.ts";
import {
  compactPeer,
  concat,
  decodeAnnounceRequest,
  decodeAnnounceResponse,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeErrorResponse,
  decodeScrapeRequest,
  decodeScrapeResponse,
  DEFAULT_NUMWANT,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  MAX_NUMWANT,
  parseAnnounce,
  parseAnnounceResponse,
  parseQuery,
  parseScrape,
  parseScrapeResponse,
  readUdpRequestHeader,
  TrackerError,
  UDP_PROTOCOL_ID,
  UdpAction,
  type UdpFamily,
} from "../../src/tracker/mod.ts";
import {
  Bitfield,
  decodeMetadataMessage,
  decodePex,
  encodeHandshake,
  encodeMessage,
  encodeMetadataMessage,
  encodePex,
  EXTENSION_HANDSHAKE_ID,
  fitToGeometry,
  MAX_MESSAGE_LENGTH,
  type Message,
  messageLengthLimit,
  MessageReader,
  parseExtensionHandshake,
  parseHandshake,
  supportsExtensionProtocol,
  supportsFast,
  WireError,
} from "../../src/wire/mod.ts";
import { type FuzzTarget, invariant, InvariantError, target } from "../../scripts/fuzz/target.ts";

// ---------------------------------------------------------------------------
// bencode: every dictionary value's span decodes to that value (the info
// hash is taken over the span, so a wrong span is a wrong identity).

function sameValue(a: BencodeValue, b: BencodeValue): boolean {
  if (typeof a === "number" || typeof b === "number") return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length &&
      a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]));
  }
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other === undefined || !sameValue(value, other)) return false;
  }
  return true;
}

function checkSpans(input: Uint8Array, value: BencodeValue): void {
  if (Array.isArray(value)) {
    for (const item of value) checkSpans(input, item);
  } else if (value instanceof BencodeDict) {
    invariant(value.spans.size === value.size, "a dictionary has a value without a span");
    for (const [key, item] of value) {
      const [start, end] = value.spans.get(key)!;
      const again = decode(input.subarray(start, end));
      invariant(sameValue(again, item), `the span of "${key}" does not decode to its value`);
      checkSpans(input, item);
    }
  }
}

function bencode(input: Uint8Array): void {
  checkSpans(input, decode(input));
}

// ---------------------------------------------------------------------------
// metainfo: what README's "What a valid torrent is" promises to later steps.

function checkComponent(component: string, what: string): void {
  invariant(
    component !== "" && component !== "." && component !== ".." && !/[/\\\0]/.test(component),
    `${what} component "${component}" could leave the download directory`,
  );
}

function checkInfo(info: TorrentInfo): void {
  checkComponent(info.name, "name");
  invariant(
    Number.isSafeInteger(info.pieceLength) && info.pieceLength >= MIN_PIECE_LENGTH &&
      info.pieceLength <= MAX_PIECE_LENGTH,
    `piece length ${info.pieceLength} accepted`,
  );
  invariant(info.files.length > 0, "a torrent without files accepted");
  const paths = new Set<string>();
  let offset = 0;
  for (const file of info.files) {
    invariant(file.path.length > 0 && file.path.length <= MAX_PATH_DEPTH, "bad path depth");
    for (const component of file.path) checkComponent(component, "path");
    invariant(Number.isSafeInteger(file.length) && file.length >= 0, `length ${file.length}`);
    invariant(file.offset === offset, `file offset ${file.offset}, want ${offset}`);
    const key = file.path.join("/");
    invariant(!paths.has(key), `path "${key}" twice`);
    paths.add(key);
    offset += file.length;
  }
  for (const file of info.files) {
    for (let depth = 1; depth < file.path.length; depth++) {
      const directory = file.path.slice(0, depth).join("/");
      invariant(!paths.has(directory), `"${directory}" is a file and a directory`);
    }
  }
  invariant(info.totalLength === offset, `total length ${info.totalLength}, files sum ${offset}`);
  invariant(info.totalLength <= MAX_TOTAL_LENGTH, `total length ${info.totalLength} accepted`);
  invariant(
    info.pieceCount === Math.ceil(info.totalLength / info.pieceLength) &&
      info.pieceHashes.length === 20 * info.pieceCount,
    `${info.pieceCount} pieces for ${info.totalLength} bytes`,
  );
  invariant(parseInfo(info.infoBytes).infoHash.equals(info.infoHash), "info hash differs");
}

function metainfo(input: Uint8Array): void {
  const torrent = parseMetainfo(input);
  checkInfo(torrent);
  for (const tier of torrent.trackerTiers) invariant(tier.length > 0, "an empty tracker tier");
}

function info(input: Uint8Array): void {
  checkInfo(parseInfo(input));
}

// ---------------------------------------------------------------------------
// magnet links: within the caps, and written back, read back the same.

const describeLink = (link: MagnetLink) => JSON.stringify({ ...link, infoHash: link.infoHash.hex });

function magnet(input: Uint8Array): void {
  const link = parseMagnet(new TextDecoder().decode(input));
  invariant(
    link.trackerTiers.length <= MAX_MAGNET_TRACKERS &&
      link.trackerTiers.every((tier) => tier.length === 1),
    `${link.trackerTiers.length} tiers`,
  );
  invariant(link.peers.length <= MAX_MAGNET_PEERS, `${link.peers.length} peers`);
  invariant(link.webSeeds.length <= MAX_MAGNET_WEB_SEEDS, `${link.webSeeds.length} web seeds`);
  for (const { port } of link.peers) invariant(port >= 1 && port <= 65535, `peer port ${port}`);
  const selected = link.selectOnly ?? [];
  invariant(selected.length <= MAX_SELECTED_FILES, `${selected.length} files selected`);
  invariant(selected.every((index, i) => i === 0 || index > selected[i - 1]), "so unsorted");
  // Percent-encoding may lengthen a link past the cap; below it the round trip must hold.
  const again = formatMagnet(link);
  if (again.length <= MAX_MAGNET_LENGTH) {
    invariant(describeLink(parseMagnet(again)) === describeLink(link), "reads back otherwise");
  }
}

// ---------------------------------------------------------------------------
// wire: framing must not depend on chunking; each decoded message encodes
// back to itself; then the geometry check, as a session reads a connection.

/** Geometries the wire target checks against, one chosen per input. */
const GEOMETRIES: readonly TorrentGeometry[] = [
  // 10 pieces of 32 KiB, the last one 5,000 bytes.
  { pieceCount: 10, pieceLength: 32768, totalLength: 9 * 32768 + 5000 },
  { pieceCount: 1, pieceLength: 16384, totalLength: 1 },
  { pieceCount: 0, pieceLength: 16384, totalLength: 0 },
];

/** A small deterministic generator seeded from the input, so a saved input replays exactly. */
function inputRandom(input: Uint8Array): () => number {
  let state = 0x811c9dc5;
  for (const byte of input) state = Math.imul(state ^ byte, 0x01000193);
  state = (state >>> 0) || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function chunkSizes(input: Uint8Array, random: () => number): number[] {
  const sizes: number[] = [];
  for (let left = input.length; left > 0;) {
    const pick = random();
    const limit = pick < 0.3 ? 1 : pick < 0.6 ? 8 : pick < 0.9 ? 100 : left;
    const size = Math.min(left, 1 + Math.floor(random() * limit));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

/** A message as text, taken at once: a piece's block is only valid until the next push. */
function describe(message: Message): string {
  return JSON.stringify(message, (_key, value) => {
    if (value instanceof Uint8Array) return hex(value);
    if (value instanceof Bitfield) return { size: value.size, bytes: hex(value.bytes) };
    return value;
  });
}

/** Reads back what `encodeMessage` wrote: one reader for every message, as each leaves it empty. */
let roundTripReader = new MessageReader(MAX_MESSAGE_LENGTH);

function checkRoundTrip(message: Message, described: string): void {
  if (message.type === "unknown") return; // its payload is skipped, not kept
  let again: Message[] = [];
  let failure = "";
  try {
    again = roundTripReader.push(encodeMessage(message));
    if (again.length !== 1 || describe(again[0]) !== described) {
      failure = `encodes to ${again.map(describe).join(", ") || "nothing whole"}`;
    }
  } catch (error) {
    failure = `does not decode: ${error}`;
  }
  if (failure) {
    roundTripReader = new MessageReader(MAX_MESSAGE_LENGTH); // whatever it holds, gone
    throw new InvariantError(`${described} ${failure}`);
  }
}

interface StreamRead {
  readonly described: string[];
  readonly framingError?: WireError;
}

function readStream(
  input: Uint8Array,
  sizes: readonly number[],
  maxLength: number,
  onMessage: (message: Message, described: string) => void,
): StreamRead {
  const reader = new MessageReader(maxLength);
  const described: string[] = [];
  let offset = 0;
  try {
    for (const size of sizes) {
      for (const message of reader.push(input.subarray(offset, offset + size))) {
        const text = describe(message);
        described.push(text);
        onMessage(message, text);
      }
      offset += size;
    }
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    return { described, framingError: error };
  }
  return { described };
}

function wire(input: Uint8Array): void {
  const random = inputRandom(input);
  const geometry = GEOMETRIES[Math.floor(random() * GEOMETRIES.length)];
  // Before the torrent is known a connection reads up to 1 MiB; after, the torrent's limit.
  const maxLength = random() < 0.5 ? MAX_MESSAGE_LENGTH : messageLengthLimit(geometry);
  let geometryError: WireError | undefined;
  const chunked = readStream(input, chunkSizes(input, random), maxLength, (message, text) => {
    checkRoundTrip(message, text);
    if (message.type === "extended" && message.extendedId === EXTENSION_HANDSHAKE_ID) {
      parseExtensionHandshake(message.payload);
    }
    if (geometryError) return;
    try {
      fitToGeometry(message, geometry);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      geometryError = error;
    }
  });
  const whole = readStream(input, [input.length], maxLength, () => {});
  invariant(
    (chunked.framingError === undefined) === (whole.framingError === undefined),
    `one chunk ${whole.framingError ?? "reads"}, chunked ${chunked.framingError ?? "reads"}`,
  );
  if (!whole.framingError) {
    invariant(
      chunked.described.join("\n") === whole.described.join("\n"),
      "the messages depend on how the stream is chunked",
    );
  }
  const error = chunked.framingError ?? geometryError;
  if (error) throw error;
}

function handshake(input: Uint8Array): void {
  const parsed = parseHandshake(input);
  supportsExtensionProtocol(parsed.reserved);
  supportsFast(parsed.reserved);
  const again = encodeHandshake(parsed.infoHash, parsed.peerId);
  invariant(
    hex(again.subarray(0, 20)) === hex(input.subarray(0, 20)) &&
      hex(again.subarray(28)) === hex(input.subarray(28)) &&
      hex(parsed.reserved) === hex(input.subarray(20, 28)),
    "the handshake does not encode back to its bytes",
  );
}

/** ut_metadata messages: what is read writes back as the same message. */
function utMetadata(input: Uint8Array): void {
  const message = decodeMetadataMessage(input);
  if (message.type === "unknown") return;
  const again = decodeMetadataMessage(encodeMetadataMessage(message));
  invariant(
    JSON.stringify({ ...again, data: undefined }) ===
      JSON.stringify({ ...message, data: undefined }),
    `${message.type} changed in a round trip`,
  );
}

/** ut_pex messages: at most 50 peers a list kept, every port usable, and a round trip holds. */
function utPex(input: Uint8Array): void {
  const message = decodePex(input, 50);
  invariant(message.added.length <= 100 && message.dropped.length <= 100, "lists cut to 50");
  for (const peer of [...message.added, ...message.dropped]) {
    invariant(peer.port >= 1 && peer.port <= 65535, `port ${peer.port}`);
  }
  const again = decodePex(encodePex(message), 100);
  invariant(again.added.length === message.added.length, "added changed in a round trip");
  invariant(again.dropped.length === message.dropped.length, "dropped changed in a round trip");
}

function extensionHandshake(input: Uint8Array): void {
  const peer = parseExtensionHandshake(input);
  invariant(peer.messages.size <= 64, `${peer.messages.size} extension names kept`);
  for (const [name, id] of peer.messages) {
    invariant(Number.isInteger(id) && id >= 1 && id <= 255, `extension ${name} has id ${id}`);
  }
  const positive = (value: number | undefined) => value === undefined || value > 0;
  invariant(positive(peer.maxQueuedRequests), `reqq ${peer.maxQueuedRequests}`);
  invariant(positive(peer.metadataSize), `metadata_size ${peer.metadataSize}`);
  invariant(
    peer.listenPort === undefined || (peer.listenPort >= 1 && peer.listenPort <= 65535),
    `p ${peer.listenPort}`,
  );
  invariant(peer.yourIp === undefined || [4, 16].includes(peer.yourIp.length), "yourip length");
}

// ---------------------------------------------------------------------------
// tracker: the server's query parsers, and the client's answer parsers.

/** The query as the server gets it: one character per byte, as in a URL's raw text. */
function queryString(input: Uint8Array): string {
  let text = "";
  for (const byte of input) text += String.fromCharCode(byte);
  return text;
}

function announceQuery(input: Uint8Array): void {
  const limits = { defaultNumwant: DEFAULT_NUMWANT, maxNumwant: MAX_NUMWANT };
  const request = parseAnnounce(parseQuery(queryString(input)), limits);
  invariant(request.infoHash.length === 20 && request.peerId.length === 20, "id lengths");
  invariant(request.port >= 1 && request.port <= 65535, `port ${request.port}`);
  invariant(request.numwant >= 0 && request.numwant <= MAX_NUMWANT, `numwant ${request.numwant}`);
  for (const count of [request.uploaded, request.downloaded, request.left]) {
    invariant(Number.isSafeInteger(count) && count >= 0, `count ${count}`);
  }
}

function scrapeQuery(input: Uint8Array): void {
  const hashes = parseScrape(parseQuery(queryString(input)));
  invariant(hashes.length >= 1 && hashes.every((hash) => hash.length === 20), "hash lengths");
}

function announceResponse(input: Uint8Array): void {
  const answer = parseAnnounceResponse(input);
  invariant(Number.isSafeInteger(answer.interval) && answer.interval >= 0, "interval");
  for (const peer of answer.peers) {
    invariant(peer.port >= 1 && peer.port <= 65535, `peer port ${peer.port}`);
  }
}

function scrapeResponse(input: Uint8Array): void {
  for (const [key, counts] of parseScrapeResponse(input)) {
    invariant(/^[0-9a-f]{40}$/.test(key), `scrape key ${key}`);
    invariant(Object.values(counts).every((count) => count >= 0), "a negative count");
  }
}

// ---------------------------------------------------------------------------
// KRPC (BEP 5): a datagram as a DHT node reads it. What decodes has the
// sizes BEP 5 gives and stays within our limits, and encodes to a message
// that decodes to the same.

function krpc(input: Uint8Array): void {
  const message = decodeKrpc(input);
  const again = decodeKrpc(encodeKrpc(message));
  invariant(describePacket(again) === describePacket(message), "KRPC round trip");
  if (message.kind === "query") {
    invariant(message.query.id.length === 20, "query id length");
  } else if (message.kind === "response") {
    const { id, nodes = [], values = [] } = message.body;
    invariant(id.length === 20, "response id length");
    invariant(nodes.length <= MAX_NODES_PER_MESSAGE, `${nodes.length} nodes`);
    invariant(values.length <= MAX_VALUES_PER_MESSAGE, `${values.length} values`);
    for (const { endpoint } of nodes) invariant(endpoint.port >= 1, "a node at port 0");
    for (const peer of values) invariant(peer.port >= 1, "a peer at port 0");
  }
}

// ---------------------------------------------------------------------------
// UDP tracker (BEP 15): a datagram as the tracker reads it, an answer as a
// client does; what decodes encodes back to the same bytes (or, for an
// announce, whose 64-bit counts are held at 2^53 - 1, to the same request).

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A decoded packet as text, bytes as hex and bigints as decimal, to compare two. */
function describePacket(value: unknown): string {
  return JSON.stringify(
    value,
    (_, item) =>
      typeof item === "bigint"
        ? item.toString()
        : item instanceof Uint8Array
        ? Array.from(item, (byte) => byte.toString(16).padStart(2, "0")).join("")
        : item,
  );
}

function udpRequest(input: Uint8Array): void {
  const header = readUdpRequestHeader(input);
  if (!header) return;
  if (header.connectionId === UDP_PROTOCOL_ID) {
    const { transactionId } = decodeConnectRequest(input);
    invariant(sameBytes(encodeConnectRequest(transactionId), input), "connect round trip");
  } else if (header.action === UdpAction.announce) {
    const request = decodeAnnounceRequest(input);
    const again = decodeAnnounceRequest(encodeAnnounceRequest(request));
    invariant(describePacket(again) === describePacket(request), "announce round trip");
  } else if (header.action === UdpAction.scrape) {
    const request = decodeScrapeRequest(input);
    invariant(sameBytes(encodeScrapeRequest(request), input), "scrape round trip");
  }
}

function udpResponse(input: Uint8Array): void {
  if (input.length < 8) return;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const [action, transactionId] = [view.getUint32(0), view.getUint32(4)];
  if (action === UdpAction.connect) {
    const connectionId = decodeConnectResponse(input, transactionId);
    invariant(sameBytes(encodeConnectResponse(transactionId, connectionId), input), "connect");
  } else if (action === UdpAction.announce) {
    const family: UdpFamily = (input.length - 20) % 18 === 0 ? "ipv6" : "ipv4";
    const answer = decodeAnnounceResponse(input, transactionId, family);
    const peers = concat(answer.peers.map((peer) => compactPeer(peer.ip, peer.port)!));
    invariant(sameBytes(encodeAnnounceResponse({ ...answer, peers }, family), input), "announce");
  } else if (action === UdpAction.scrape) {
    const counts = decodeScrapeResponse(input, transactionId, Math.floor((input.length - 8) / 12));
    invariant(sameBytes(encodeScrapeResponse(transactionId, counts), input), "scrape");
  } else {
    decodeErrorResponse(input);
  }
}

// ---------------------------------------------------------------------------
// Where the values are, for the mutator to swap whole ones.

/** Every dictionary value of a bencoded input (none when it does not decode). */
function bencodeValues(input: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  const collect = (value: BencodeValue) => {
    if (Array.isArray(value)) value.forEach(collect);
    if (!(value instanceof BencodeDict)) return;
    for (const [key, item] of value) {
      spans.push(value.spans.get(key)!);
      collect(item);
    }
  };
  try {
    collect(decode(input));
  } catch {
    // not bencode (any more): no values to swap
  }
  return spans;
}

/** Every parameter value of a query (between `=` and `&`). */
function queryValues(input: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= input.length; i++) {
    if (i === input.length || input[i] === 0x26 /* & */) {
      if (start >= 0) spans.push([start, i]);
      start = -1;
    } else if (input[i] === 0x3d /* = */ && start < 0) {
      start = i + 1;
    }
  }
  return spans;
}

/** Every whole message frame (length prefix and body) of a wire stream. */
function wireFrames(input: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (let offset = 0; offset + 4 <= input.length;) {
    const end = offset + 4 + view.getUint32(offset);
    if (end > input.length) break;
    spans.push([offset, end]);
    offset = end;
  }
  return spans;
}

// ---------------------------------------------------------------------------

/** Pieces of bencode and of the dictionaries the project reads. */
const BENCODE_TOKENS = [
  "i",
  "e",
  "l",
  "d",
  ":",
  "0:",
  "i0e",
  "i-1e",
  "le",
  "de",
  "lle",
  "dde",
  "1:a",
  "i9007199254740991e",
  "i9007199254740992e",
  "4:info",
  "4:name",
  "10:name.utf-8",
  "12:piece length",
  "6:pieces",
  "6:length",
  "5:files",
  "4:path",
  "10:path.utf-8",
  "8:announce",
  "13:announce-list",
  "7:private",
  "6:source",
  "7:comment",
  "1:m",
  "4:reqq",
  "1:p",
  "1:v",
  "6:yourip",
  "13:metadata_size",
  "11:ut_metadata",
  "8:interval",
  "12:min interval",
  "5:peers",
  "6:peers6",
  "2:ip",
  "4:port",
  "7:peer id",
  "14:failure reason",
  "15:warning message",
  "8:complete",
  "10:incomplete",
  "10:downloaded",
  "1:.",
  "2:..",
  "1:/",
  "1:\\",
  "1:\0",
  "2:\xc3\x28",
];
/** Pieces of announce and scrape queries. */
const QUERY_TOKENS = [
  "&",
  "=",
  "&&",
  "==",
  "%",
  "%0",
  "%00",
  "%ff",
  "%FF",
  "%zz",
  "+",
  "\xc3\xa9",
  "\x80",
  "info_hash=",
  "peer_id=",
  "port=",
  "uploaded=",
  "downloaded=",
  "left=",
  "event=",
  "event=started",
  "event=paused",
  "compact=0",
  "no_peer_id=1",
  "numwant=",
  "key=",
  "ip=",
  "name=",
  "%31%32",
  "info_hash=%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13",
];
/** Pieces of magnet links. */
const MAGNET_TOKENS = [
  "magnet:?",
  "&",
  "=",
  "%",
  "%zz",
  "%C3",
  "+",
  "xt=urn:btih:",
  "xt=urn:btmh:1220",
  "xt.1=",
  "dn=",
  "tr=",
  "tr.1=",
  "x.pe=",
  "ws=",
  "so=",
  ",",
  "-",
  "0-99999",
  "[::1]:6881",
  "[::ffff:1.2.3.4]:",
  "127.0.0.1:6881",
  ":65535",
  "http%3A%2F%2F",
  "udp://",
  "wss://",
  "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
  "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK",
];
/** Message heads (length prefix and id) of the peer wire protocol. */
const WIRE_TOKENS = [
  "\0\0\0\0",
  "\0\0\0\x01\x00",
  "\0\0\0\x01\x0e",
  "\0\0\0\x05\x04",
  "\0\0\0\x0d\x06",
  "\0\0\x40\x09\x07",
  "\0\0\x40\x0a\x07",
  "\0\0\0\x03\x09",
  "\0\0\0\x02\x14\x00",
  "\0\0\0\x31\x15",
  "\0\0\0\x51\x16",
  "\x13BitTorrent protocol",
  "d1:md11:ut_metadatai1eee",
];

const bencoded = { tokens: BENCODE_TOKENS, values: bencodeValues };
const query = { tokens: QUERY_TOKENS, values: queryValues };

/** Every target `deno task fuzz` runs, in this order. */
export const TARGETS: readonly FuzzTarget[] = [
  target("bencode", bencode, [BencodeError], {
    ...bencoded,
    corpora: ["metainfo", "extension", "announce-response", "scrape-response"],
  }),
  target("metainfo", metainfo, [MetainfoError], bencoded),
  target("info", info, [MetainfoError], bencoded),
  target("magnet", magnet, [MetainfoError], { tokens: MAGNET_TOKENS, values: queryValues }),
  target("wire", wire, [WireError], { tokens: WIRE_TOKENS, values: wireFrames }),
  target("handshake", handshake, [WireError], { tokens: WIRE_TOKENS }),
  target("extension", extensionHandshake, [], bencoded),
  target("ut-metadata", utMetadata, [WireError], bencoded),
  target("ut-pex", utPex, [WireError], bencoded),
  target("announce-query", announceQuery, [TrackerError], query),
  target("scrape-query", scrapeQuery, [TrackerError], query),
  target("announce-response", announceResponse, [TrackerError], bencoded),
  target("scrape-response", scrapeResponse, [TrackerError], bencoded),
  target("udp-request", udpRequest, [TrackerError]),
  target("udp-response", udpResponse, [TrackerError]),
  target("krpc", krpc, [KrpcError], bencoded),
];
