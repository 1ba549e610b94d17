import type { DhtNode } from "../dht/mod.ts";
import type { PeerPlugin } from "../session/mod.ts";
import { supportsDht } from "../wire/mod.ts";

/**
 * The PORT message of BEP 5 as a plugin beside the session: a peer whose
 * handshake has the DHT bit hears our DHT port, and a peer that tells us
 * its own is pinged and, if it answers, joins our routing table.
 *
 * @example
 * ```ts
 * new TorrentSession(infoHash, { ...options, peerPlugins: [dhtPortPlugin(node)] });
 * ```
 */
export function dhtPortPlugin(node: DhtNode): PeerPlugin {
  return {
    onConnect(peer) {
      if (supportsDht(peer.reserved)) peer.send({ type: "port", port: node.port });
    },
    onMessage(peer, message) {
      if (message.type !== "port" || message.port === 0) return;
      node.addNode({ ip: peer.endpoint.ip, port: message.port });
    },
  };
}
