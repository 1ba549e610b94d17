import type { DatagramRouter } from "../transport/mod.ts";
import type { DhtTransport } from "./rpc.ts";

/**
 * The DHT's side of the Client's shared UDP socket: KRPC datagrams (those
 * starting with `d`) come in through the router, and go out on its socket.
 *
 * @example
 * ```ts
 * const node = new DhtNode(routerTransport(client.datagrams!));
 * ```
 */
export function routerTransport(router: DatagramRouter): DhtTransport {
  return {
    get port() {
      return router.socket.port;
    },
    send: (bytes, to) => router.socket.send(bytes, to),
    receive: (handler) => router.onKrpc(handler),
  };
}
