/**
 * The Mainline DHT (BEP 5): the KRPC codec, 160-bit ids, the routing
 * table, the RPC layer over a datagram transport, iterative lookups, the
 * peer store and announce tokens, and the node that ties them together.
 * Codecs are pure; the node reaches the network only through a
 * {@link DhtTransport}.
 *
 * @module
 */
export { DhtError, KrpcError, KrpcErrorCode } from "./errors.ts";
export {
  COMPACT_NODE_LENGTH,
  type CompactNode,
  decodeKrpc,
  encodeKrpc,
  encodeNodes,
  type KrpcMessage,
  type KrpcMethod,
  type KrpcQuery,
  type KrpcResponseBody,
  MAX_KRPC_BYTES,
  MAX_NODES_PER_MESSAGE,
  MAX_TOKEN_BYTES,
  MAX_TRANSACTION_ID_BYTES,
  MAX_VALUES_PER_MESSAGE,
} from "./krpc.ts";
export {
  ALPHA,
  iterativeLookup,
  type LookupOptions,
  type LookupReply,
  type LookupResult,
  type LookupSeed,
  type Responder,
} from "./lookup.ts";
export {
  type AnnounceResult,
  DhtNode,
  type DhtNodeOptions,
  MAX_SAVED_NODES,
  type SavedDht,
} from "./node.ts";
export {
  commonPrefixBits,
  compareDistance,
  ID_BITS,
  ID_LENGTH,
  idHex,
  idInRange,
  type NodeId,
  randomNodeId,
  sameId,
} from "./node_id.ts";
export {
  MAX_PEERS_PER_ANSWER,
  MAX_PEERS_PER_TORRENT,
  MAX_STORED_TORRENTS,
  PEER_TTL_MS,
  PeerStore,
} from "./peer_store.ts";
export { routerTransport } from "./router_transport.ts";
export {
  BAD_AFTER_FAILURES,
  GOOD_FOR_MS,
  type InsertOutcome,
  K,
  type NodeStatus,
  REFRESH_AFTER_MS,
  REPLACEMENTS_PER_BUCKET,
  type RoutingNode,
  RoutingTable,
  type RoutingTableOptions,
  sameEndpoint,
  sourceKey,
} from "./routing_table.ts";
export {
  type DhtTransport,
  type IncomingQuery,
  KrpcRpc,
  type KrpcRpcOptions,
  MAX_PENDING_QUERIES,
  MAX_TRACKED_SOURCES,
  QUERY_TIMEOUT_MS,
  type QueryAnswer,
  QueryFailed,
  type RpcCounters,
  SOURCE_RATE,
} from "./rpc.ts";
export { decodeSavedDht, DHT_STATE_FILE, encodeSavedDht } from "./saved_state.ts";
export { TOKEN_ROTATION_MS, TokenIssuer } from "./tokens.ts";
