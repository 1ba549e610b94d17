import { BencodeDict, BencodeError, decode, encode } from "../bencode/mod.ts";
import { DhtError } from "./errors.ts";
import { COMPACT_NODE_LENGTH, encodeNodes } from "./krpc.ts";
import type { SavedDht } from "./node.ts";
import { ID_LENGTH } from "./node_id.ts";
import { COMPACT_IPV4_LENGTH, parseCompactPeers } from "../transport/mod.ts";

/** The saved state's file name in the data directory. */
export const DHT_STATE_FILE = "dht.dat";

/**
 * A node's saved state as bytes: a bencoded dictionary of its `id` and its
 * `nodes` in the compact form of KRPC (26 bytes each), as libtorrent's
 * session state keeps them.
 *
 * @example
 * ```ts
 * await Deno.writeFile(path, encodeSavedDht(node.snapshot()));
 * ```
 */
export function encodeSavedDht(state: SavedDht): Uint8Array {
  return encode({ id: state.id, nodes: encodeNodes(state.nodes) });
}

/**
 * Reads a saved state back.
 *
 * @throws {DhtError} when the bytes are not a saved state.
 * @example
 * ```ts
 * const saved = decodeSavedDht(await Deno.readFile(path));
 * ```
 */
export function decodeSavedDht(bytes: Uint8Array): SavedDht {
  let top;
  try {
    top = decode(bytes);
  } catch (error) {
    if (error instanceof BencodeError) {
      throw new DhtError(`not a saved DHT state: ${error.message}`);
    }
    throw error;
  }
  const id = top instanceof BencodeDict ? top.get("id") : undefined;
  const nodes = top instanceof BencodeDict ? top.get("nodes") : undefined;
  if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) {
    throw new DhtError("saved DHT state without a node id");
  }
  if (!(nodes instanceof Uint8Array) || nodes.length % COMPACT_NODE_LENGTH !== 0) {
    throw new DhtError("saved DHT state with broken nodes");
  }
  const saved = [];
  for (let offset = 0; offset < nodes.length; offset += COMPACT_NODE_LENGTH) {
    const [endpoint] = parseCompactPeers(
      nodes.subarray(offset + ID_LENGTH, offset + COMPACT_NODE_LENGTH),
      COMPACT_IPV4_LENGTH,
    )!;
    if (endpoint.port !== 0) saved.push({ id: nodes.slice(offset, offset + ID_LENGTH), endpoint });
  }
  return { id, nodes: saved };
}
