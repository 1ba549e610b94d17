import {
  type Endpoint,
  formatEndpoint,
  type PeerStream,
  type StreamListener,
  type Transport,
  TransportError,
} from "../../src/transport/mod.ts";

/**
 * Bytes a pipe holds unread before writes wait, as a socket's buffers do:
 * a reader that stops reading stops its writer.
 */
const PIPE_CAPACITY = 256 * 1024;

/** One direction of a pipe: chunks written, waiting to be read. */
class Channel {
  readonly #chunks: Uint8Array[] = [];
  #unread = 0;
  #waiting: (() => void) | undefined;
  #writers: (() => void)[] = [];
  ended = false;

  /** Queues bytes; resolves once the pipe has room again. */
  async push(bytes: Uint8Array): Promise<void> {
    this.#chunks.push(bytes.slice());
    this.#unread += bytes.length;
    this.#wake();
    while (this.#unread > PIPE_CAPACITY && !this.ended) {
      await new Promise<void>((resolve) => this.#writers.push(resolve));
    }
  }

  end(): void {
    this.ended = true;
    this.#wake();
    this.#wakeWriters();
  }

  #wakeWriters(): void {
    const writers = this.#writers;
    this.#writers = [];
    for (const wake of writers) wake();
  }

  #wake(): void {
    const wake = this.#waiting;
    this.#waiting = undefined;
    wake?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
    const chunk = this.#chunks[0];
    const count = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(count);
    this.#unread -= count;
    if (this.#unread <= PIPE_CAPACITY) this.#wakeWriters();
    return count;
  }
}

/**
 * Two connected streams in memory: what one writes the other reads. Closing
 * either ends both directions, as a TCP reset would.
 *
 * @returns the dialling side's stream and the accepting side's.
 */
export function memoryPipe(dialer: Endpoint, acceptor: Endpoint): [PeerStream, PeerStream] {
  const toAcceptor = new Channel();
  const toDialer = new Channel();
  const close = () => {
    toAcceptor.end();
    toDialer.end();
  };
  const side = (incoming: Channel, outgoing: Channel, remote: Endpoint): PeerStream => ({
    remote,
    read: (buffer) => incoming.read(buffer),
    async write(bytes) {
      if (outgoing.ended) throw new TransportError("the peer went away");
      await outgoing.push(bytes);
      return bytes.length;
    },
    close,
  });
  return [side(toDialer, toAcceptor, acceptor), side(toAcceptor, toDialer, dialer)];
}

/** A listener's queue of accepted streams. */
class MemoryListener implements StreamListener {
  readonly #accepted: PeerStream[] = [];
  #waiting: (() => void) | undefined;
  closed = false;

  constructor(readonly port: number, readonly onClose: () => void) {}

  accept(stream: PeerStream): void {
    this.#accepted.push(stream);
    this.#waiting?.();
  }

  close(): void {
    this.closed = true;
    this.onClose();
    this.#waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PeerStream> {
    while (!this.closed) {
      const stream = this.#accepted.shift();
      if (stream) {
        yield stream;
        continue;
      }
      await new Promise<void>((resolve) => (this.#waiting = resolve));
      this.#waiting = undefined;
    }
  }
}

/**
 * A network in memory for engine tests: hosts by made-up IP addresses
 * (nothing is ever sent anywhere), listeners by port, and pipes between them.
 */
export class MemoryNetwork {
  readonly #listeners = new Map<string, MemoryListener>();
  #nextPort = 40000;

  /** A transport for the host at `ip`: what it dials comes from `ip`, what it listens on is `ip`. */
  host(ip: string): Transport {
    return {
      dial: (endpoint) => Promise.resolve(this.dial({ ip, port: this.#nextPort++ }, endpoint)),
      listen: (_host, port) => this.listen(ip, port === 0 ? this.#nextPort++ : port),
    };
  }

  /** Listens on `ip:port`. */
  listen(ip: string, port: number): StreamListener {
    const key = formatEndpoint({ ip, port });
    if (this.#listeners.has(key)) throw new TransportError(`port ${port} is already in use`);
    const listener = new MemoryListener(port, () => this.#listeners.delete(key));
    this.#listeners.set(key, listener);
    return listener;
  }

  /** Opens a pipe from `from` (any address a test likes) to the listener at `to`. */
  dial(from: Endpoint, to: Endpoint): PeerStream {
    const listener = this.#listeners.get(formatEndpoint(to));
    if (!listener) throw new TransportError("connection refused");
    const [dialer, acceptor] = memoryPipe(from, to);
    listener.accept(acceptor);
    return dialer;
  }
}
