/**
 * KRPC error codes (BEP 5): what a node answers a query it cannot serve
 * with, and what it may hear back.
 */
export const KrpcErrorCode = {
  generic: 201,
  server: 202,
  /** Malformed packet, invalid arguments or a bad token. */
  protocol: 203,
  methodUnknown: 204,
} as const;

/** A DHT failure, with a message written for people. */
export class DhtError extends Error {
  override name = "DhtError";
}

/**
 * A KRPC message that breaks the protocol. `code` is the error to answer it
 * with, and `transactionId` is set only when the message was a query whose
 * transaction id could be read, so that only queries are ever answered (an
 * error answering a malformed response could start a loop between nodes).
 */
export class KrpcError extends DhtError {
  override name = "KrpcError";
  constructor(
    message: string,
    readonly code: number = KrpcErrorCode.protocol,
    readonly transactionId?: Uint8Array,
  ) {
    super(message);
  }
}
