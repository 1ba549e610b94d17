import { type Endpoint, formatEndpoint, type PeerStream } from "../transport/mod.ts";
import { PeerMemory } from "./peer_memory.ts";

/** Something streams to peers are opened with: TCP, uTP, or a choice between them. */
export interface Dialer {
  /** @throws {TransportError} when it cannot. */
  dial(endpoint: Endpoint, timeoutMs: number): Promise<PeerStream>;
}

/** A transport by name, as logs and memory call it. */
export interface NamedDialer extends Dialer {
  readonly name: string;
}

/**
 * Opens a stream with the first transport that connects, in the order
 * given (TCP, then uTP, in the Client), except that a peer reached before
 * starts with the transport that worked: a peer that only speaks uTP pays
 * for the refused TCP attempt once, not at every reconnect.
 */
export class TransportChoice implements Dialer {
  readonly #memory = new PeerMemory<string>();

  constructor(readonly transports: readonly NamedDialer[]) {}

  async dial(endpoint: Endpoint, timeoutMs: number): Promise<PeerStream> {
    const address = formatEndpoint(endpoint);
    const remembered = this.#memory.get(address);
    const order = [...this.transports].sort((a, b) =>
      Number(b.name === remembered) - Number(a.name === remembered)
    );
    let failure: unknown;
    for (const transport of order) {
      try {
        const stream = await transport.dial(endpoint, timeoutMs);
        this.#memory.remember(address, transport.name);
        return stream;
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }
}
