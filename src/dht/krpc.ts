import {
  BencodeDict,
  BencodeError,
  type BencodeValue,
  decode,
  type EncodableValue,
  encode,
} from "../bencode/mod.ts";
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  compactPeer,
  type Endpoint,
  parseCompactPeers,
} from "../transport/mod.ts";
import { KrpcError, KrpcErrorCode } from "./errors.ts";
import { ID_LENGTH, type NodeId } from "./node_id.ts";

/**
 * Largest KRPC datagram read. A full get_peers answer (8 nodes, 100
 * values, a token) is under 1.2 KB; anything much larger is not a message
 * any implementation sends, and refusing it before decoding bounds the
 * work a hostile packet can cause.
 */
export const MAX_KRPC_BYTES = 4096;
/** Longest transaction id accepted: implementations use 2 to 8 bytes. */
export const MAX_TRANSACTION_ID_BYTES = 16;
/** Longest token accepted: libtorrent's are 4 bytes, anacrolix's 20. */
export const MAX_TOKEN_BYTES = 64;
/** Most nodes accepted in one answer: BEP 5 answers with the 8 closest; a few more is tolerated. */
export const MAX_NODES_PER_MESSAGE = 16;
/**
 * Most peers accepted in one get_peers answer: about what fits in one
 * datagram of 1,500 bytes. A longer list is absurd, and the message is refused.
 */
export const MAX_VALUES_PER_MESSAGE = 200;
/** Longest error text kept from a KRPC error: it is only ever logged. */
const MAX_ERROR_TEXT = 200;
/** Bytes of a compact IPv4 node: the id, then the compact address (BEP 5). */
export const COMPACT_NODE_LENGTH = ID_LENGTH + COMPACT_IPV4_LENGTH;

/** A node as `find_node` and `get_peers` answers carry it. */
export interface CompactNode {
  readonly id: NodeId;
  readonly endpoint: Endpoint;
}

/** The methods of BEP 5. */
export type KrpcMethod = "ping" | "find_node" | "get_peers" | "announce_peer";

/** A query of BEP 5, with its arguments checked. */
export type KrpcQuery =
  | { readonly method: "ping"; readonly id: NodeId }
  | { readonly method: "find_node"; readonly id: NodeId; readonly target: NodeId }
  | { readonly method: "get_peers"; readonly id: NodeId; readonly infoHash: Uint8Array }
  | {
    readonly method: "announce_peer";
    readonly id: NodeId;
    readonly infoHash: Uint8Array;
    /** The port to announce; ignored when `impliedPort`. */
    readonly port: number;
    /** Announce the port the query came from instead (for peers behind NAT, uTP). */
    readonly impliedPort: boolean;
    readonly token: Uint8Array;
  };

/** The body of an answer: the answering node's id, and what its method returns. */
export interface KrpcResponseBody {
  readonly id: NodeId;
  /** `find_node` and `get_peers`: the closest nodes it knows. */
  readonly nodes?: readonly CompactNode[];
  /** `get_peers`: peers of the torrent. */
  readonly values?: readonly Endpoint[];
  /** `get_peers`: what `announce_peer` must bring back. */
  readonly token?: Uint8Array;
}

/** One KRPC message: a query, its answer or an error, each under its transaction id. */
export type KrpcMessage =
  | { readonly kind: "query"; readonly t: Uint8Array; readonly query: KrpcQuery }
  | { readonly kind: "response"; readonly t: Uint8Array; readonly body: KrpcResponseBody }
  | {
    readonly kind: "error";
    readonly t: Uint8Array;
    readonly code: number;
    readonly message: string;
  };

const METHODS: ReadonlySet<string> = new Set<KrpcMethod>([
  "ping",
  "find_node",
  "get_peers",
  "announce_peer",
]);
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Decodes one KRPC datagram strictly: bencode as BEP 3 has it, the fields
 * BEP 5 requires of each message with their exact sizes, and the limits
 * above. Keys it does not know (`v`, `ip`, `ro`, BEP 32's `nodes6`) are
 * ignored, as BEP 5 asks. The message holds copies of its bytes, never
 * views of `bytes`, which a socket reuses for the next datagram.
 *
 * @throws {KrpcError} naming what is wrong, with the code to answer and
 * (for a query) the transaction id to answer under.
 * @example
 * ```ts
 * const message = decodeKrpc(datagram);
 * if (message.kind === "query" && message.query.method === "ping") reply(message.t);
 * ```
 */
export function decodeKrpc(bytes: Uint8Array): KrpcMessage {
  if (bytes.length > MAX_KRPC_BYTES) {
    throw new KrpcError(`KRPC message of ${bytes.length} bytes, over ${MAX_KRPC_BYTES}`);
  }
  let top: BencodeValue;
  try {
    top = decode(bytes);
  } catch (error) {
    if (error instanceof BencodeError) throw new KrpcError(`not bencode: ${error.message}`);
    throw error;
  }
  if (!(top instanceof BencodeDict)) throw new KrpcError("KRPC message is not a dictionary");
  let t = top.get("t");
  if (!(t instanceof Uint8Array) || t.length === 0 || t.length > MAX_TRANSACTION_ID_BYTES) {
    throw new KrpcError("missing or bad transaction id");
  }
  const y = text(top, "y");
  // Copied, as every byte string kept from the message: the socket reuses its buffer.
  t = t.slice();
  switch (y) {
    case "q":
      return { kind: "query", t, query: readQuery(top, t) };
    case "r":
      return { kind: "response", t, body: readResponse(dict(top, "r")) };
    case "e":
      return { kind: "error", t, ...readError(top) };
    default:
      throw new KrpcError(`unknown message type ${JSON.stringify(y)}`);
  }
}

function readQuery(top: BencodeDict, t: Uint8Array): KrpcQuery {
  // From here on the query can be answered: errors carry its transaction id.
  const fail = (why: string, code: number = KrpcErrorCode.protocol) => {
    throw new KrpcError(why, code, t);
  };
  const method = top.get("q");
  if (!(method instanceof Uint8Array)) return fail("query without a method");
  const name = latin1.decode(method);
  if (!METHODS.has(name)) {
    return fail(`unknown method ${name.slice(0, 32)}`, KrpcErrorCode.methodUnknown);
  }
  const args = top.get("a");
  if (!(args instanceof BencodeDict)) return fail("query without arguments");
  try {
    const id = bytesOf(args, "id", ID_LENGTH);
    switch (name as KrpcMethod) {
      case "ping":
        return { method: "ping", id };
      case "find_node":
        return { method: "find_node", id, target: bytesOf(args, "target", ID_LENGTH) };
      case "get_peers":
        return { method: "get_peers", id, infoHash: bytesOf(args, "info_hash", ID_LENGTH) };
      case "announce_peer": {
        const implied = args.get("implied_port");
        if (implied !== undefined && implied !== 0 && implied !== 1) {
          throw new KrpcError("implied_port is not 0 or 1");
        }
        const impliedPort = implied === 1;
        const port = args.get("port");
        // With implied_port the port argument is ignored, and some clients send 0 or none.
        const validPort = typeof port === "number" && port >= 1 && port <= 65535;
        if (!impliedPort && !validPort) throw new KrpcError("announce_peer without a valid port");
        const token = args.get("token");
        if (!(token instanceof Uint8Array) || token.length > MAX_TOKEN_BYTES) {
          throw new KrpcError("announce_peer without a valid token");
        }
        return {
          method: "announce_peer",
          id,
          infoHash: bytesOf(args, "info_hash", ID_LENGTH),
          port: validPort ? port : 0,
          impliedPort,
          token: token.slice(),
        };
      }
    }
  } catch (error) {
    if (error instanceof KrpcError) return fail(error.message);
    throw error;
  }
}

function readResponse(body: BencodeDict): KrpcResponseBody {
  const id = bytesOf(body, "id", ID_LENGTH);
  const nodes = body.get("nodes");
  const values = body.get("values");
  const token = body.get("token");
  if (token !== undefined && (!(token instanceof Uint8Array) || token.length > MAX_TOKEN_BYTES)) {
    throw new KrpcError("bad token");
  }
  // Only the keys present: an answer compares equal to the body it was encoded from.
  return {
    id,
    ...(nodes === undefined ? {} : { nodes: readNodes(nodes) }),
    ...(values === undefined ? {} : { values: readValues(values) }),
    ...(token === undefined ? {} : { token: token.slice() }),
  };
}

function readNodes(value: BencodeValue): CompactNode[] {
  if (!(value instanceof Uint8Array) || value.length % COMPACT_NODE_LENGTH !== 0) {
    throw new KrpcError("nodes is not a whole number of compact nodes");
  }
  const count = value.length / COMPACT_NODE_LENGTH;
  if (count > MAX_NODES_PER_MESSAGE) throw new KrpcError(`${count} nodes in one message`);
  const nodes: CompactNode[] = [];
  for (let offset = 0; offset < value.length; offset += COMPACT_NODE_LENGTH) {
    const [endpoint] = parseCompactPeers(
      value.subarray(offset + ID_LENGTH, offset + COMPACT_NODE_LENGTH),
      COMPACT_IPV4_LENGTH,
    )!;
    // A node at port 0 cannot be reached: it is left out, not the whole answer.
    if (endpoint.port === 0) continue;
    nodes.push({ id: value.slice(offset, offset + ID_LENGTH), endpoint });
  }
  return nodes;
}

function readValues(value: BencodeValue): Endpoint[] {
  if (!Array.isArray(value)) throw new KrpcError("values is not a list");
  if (value.length > MAX_VALUES_PER_MESSAGE) {
    throw new KrpcError(`${value.length} peers in one message`);
  }
  const peers: Endpoint[] = [];
  for (const item of value) {
    if (
      !(item instanceof Uint8Array) ||
      (item.length !== COMPACT_IPV4_LENGTH && item.length !== COMPACT_IPV6_LENGTH)
    ) {
      throw new KrpcError("a peer in values is not a compact address");
    }
    const [peer] = parseCompactPeers(item, item.length)!;
    if (peer.port !== 0) peers.push({ ip: peer.ip, port: peer.port });
  }
  return peers;
}

function readError(top: BencodeDict): { code: number; message: string } {
  const e = top.get("e");
  if (!Array.isArray(e) || e.length < 2 || typeof e[0] !== "number") {
    throw new KrpcError("error message without [code, text]");
  }
  const message = e[1] instanceof Uint8Array ? utf8.decode(e[1]).slice(0, MAX_ERROR_TEXT) : "";
  return { code: e[0], message };
}

function text(top: BencodeDict, key: string): string | undefined {
  const value = top.get(key);
  return value instanceof Uint8Array ? latin1.decode(value) : undefined;
}

function dict(top: BencodeDict, key: string): BencodeDict {
  const value = top.get(key);
  if (!(value instanceof BencodeDict)) throw new KrpcError(`missing ${key} dictionary`);
  return value;
}

function bytesOf(container: BencodeDict, key: string, length: number): Uint8Array {
  const value = container.get(key);
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new KrpcError(`${key} is not ${length} bytes`);
  }
  // A copy: the datagram's buffer is reused for the next one, and ids outlive it.
  return value.slice();
}

/**
 * Encodes a KRPC message. `version` is our client's `v` (BEP 5: two
 * letters for the client, two bytes of version).
 *
 * @example
 * ```ts
 * const bytes = encodeKrpc({ kind: "query", t, query: { method: "ping", id } });
 * ```
 */
export function encodeKrpc(message: KrpcMessage, version?: Uint8Array): Uint8Array {
  const top: Record<string, EncodableValue | undefined> = { t: message.t, v: version };
  switch (message.kind) {
    case "query": {
      top.y = "q";
      top.q = message.query.method;
      top.a = queryArguments(message.query);
      break;
    }
    case "response": {
      const { id, nodes, values, token } = message.body;
      top.y = "r";
      top.r = {
        id,
        nodes: nodes && encodeNodes(nodes),
        values: values && values.flatMap((peer) => compactPeer(peer.ip, peer.port) ?? []),
        token,
      };
      break;
    }
    case "error":
      top.y = "e";
      top.e = [message.code, message.message];
      break;
  }
  return encode(top);
}

function queryArguments(query: KrpcQuery): Record<string, EncodableValue> {
  switch (query.method) {
    case "ping":
      return { id: query.id };
    case "find_node":
      return { id: query.id, target: query.target };
    case "get_peers":
      return { id: query.id, info_hash: query.infoHash };
    case "announce_peer":
      return {
        id: query.id,
        info_hash: query.infoHash,
        port: query.port,
        implied_port: query.impliedPort ? 1 : 0,
        token: query.token,
      };
  }
}

/**
 * The compact form of nodes (BEP 5): 26 bytes each. Nodes not at an IPv4
 * address are left out (IPv6 nodes go in BEP 32's `nodes6`, not spoken here).
 *
 * @example
 * ```ts
 * encodeNodes([{ id, endpoint: { ip: "127.0.0.1", port: 6881 } }]).length; // 26
 * ```
 */
export function encodeNodes(nodes: readonly CompactNode[]): Uint8Array {
  const parts = nodes.flatMap((node) => {
    const address = compactPeer(node.endpoint.ip, node.endpoint.port);
    return address?.length === COMPACT_IPV4_LENGTH ? [{ id: node.id, address }] : [];
  });
  const bytes = new Uint8Array(parts.length * COMPACT_NODE_LENGTH);
  parts.forEach((part, i) => {
    bytes.set(part.id, i * COMPACT_NODE_LENGTH);
    bytes.set(part.address, i * COMPACT_NODE_LENGTH + ID_LENGTH);
  });
  return bytes;
}
