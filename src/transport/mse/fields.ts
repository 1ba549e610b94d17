/**
 * The fields of the message stream encryption handshake, built and read
 * as bytes (the spec's steps, A the initiator, B the receiver):
 *
 * 1. A->B: Ya, PadA
 * 2. B->A: Yb, PadB
 * 3. A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *    ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 * 4. B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload
 * 5. A->B: the payload
 *
 * Numbers are big-endian; ENCRYPT continues one RC4 stream per direction.
 * Pure: the caller reads and writes, and decrypts what it reads before
 * handing it here.
 *
 * @module
 */
import type { InfoHash } from "../../metainfo/mod.ts";
import { TransportError } from "../stream.ts";
import { MSE_HASH_LENGTH, req1Hash, torrentProof } from "./keys.ts";
import type { Rc4 } from "./rc4.ts";

/** How the payload after the handshake travels: RC4 as the handshake did, or in the clear. */
export type MseMethod = "plaintext" | "rc4";

/** The methods' bits in crypto_provide and crypto_select; other bits are reserved and ignored. */
const METHOD_BITS: Readonly<Record<MseMethod, number>> = { plaintext: 0x01, rc4: 0x02 };

/** Longest PadA, PadB, PadC and PadD the spec allows. */
export const MAX_PAD_LENGTH = 512;
/**
 * Longest IA we take from a peer. The spec allows 65535; IA carries the
 * 68-byte BitTorrent handshake, and a client that adds its first messages
 * stays far below this.
 */
export const MAX_INITIAL_PAYLOAD_LENGTH = 16 * 1024;
/** Bytes of the verification constant VC, eight zeros. */
export const VC_LENGTH = 8;
/** Bytes of VC, crypto_provide and len(PadC): what B reads after the proof. */
export const REQUEST_HEAD_LENGTH = VC_LENGTH + 4 + 2;
/** Bytes of crypto_select and len(PadD): what A reads after finding VC. */
export const REPLY_HEAD_LENGTH = 4 + 2;
/** Bytes of a len() field. */
export const LENGTH_FIELD_LENGTH = 2;

/**
 * Step 1 or 2: our public key followed by 0 to 512 random bytes, so that
 * neither the length nor the content of the first packet is a signature.
 *
 * @example
 * ```ts
 * await writeAll(stream, keyMessage(publicKey(privateKey)));
 * ```
 */
export function keyMessage(publicKey: Uint8Array): Uint8Array {
  const padLength = crypto.getRandomValues(new Uint16Array(1))[0] % (MAX_PAD_LENGTH + 1);
  const message = new Uint8Array(publicKey.length + padLength);
  message.set(publicKey);
  crypto.getRandomValues(message.subarray(publicKey.length));
  return message;
}

/** What the initiator says in step 3. */
export interface MseRequest {
  readonly secret: Uint8Array;
  readonly infoHash: InfoHash;
  /** The methods offered in crypto_provide. */
  readonly provide: readonly MseMethod[];
  /** IA, at most 65535 bytes (its length field has two bytes). */
  readonly initialPayload: Uint8Array;
}

/**
 * Step 3, with an empty PadC (the spec's current practice), encrypting with
 * the initiator's cipher.
 *
 * @throws {RangeError} when IA does not fit its length field.
 * @example
 * ```ts
 * await writeAll(stream, encodeRequest({ secret, infoHash, provide: ["rc4"], initialPayload }, encrypt));
 * ```
 */
export function encodeRequest(request: MseRequest, encrypt: Rc4): Uint8Array {
  const { secret, infoHash, provide, initialPayload } = request;
  if (initialPayload.length > 0xffff) {
    throw new RangeError(`IA is at most 65535 bytes, not ${initialPayload.length}`);
  }
  const encrypted = 2 * MSE_HASH_LENGTH;
  const payloadAt = encrypted + REQUEST_HEAD_LENGTH + LENGTH_FIELD_LENGTH;
  const message = new Uint8Array(payloadAt + initialPayload.length);
  const view = new DataView(message.buffer);
  message.set(req1Hash(secret), 0);
  message.set(torrentProof(secret, infoHash), MSE_HASH_LENGTH);
  // VC stays eight zeros and len(PadC) zero.
  view.setUint32(encrypted + VC_LENGTH, methodBits(provide));
  view.setUint16(encrypted + REQUEST_HEAD_LENGTH, initialPayload.length);
  message.set(initialPayload, payloadAt);
  encrypt.crypt(message.subarray(encrypted));
  return message;
}

/** crypto_provide and len(PadC), from step 3 once decrypted. */
export interface RequestHead {
  /** The bits of crypto_provide. */
  readonly provided: number;
  readonly padLength: number;
}

/**
 * Reads VC, crypto_provide and len(PadC), already decrypted.
 *
 * @throws {TransportError} when VC is not eight zeros (the peer used other
 *   keys) or PadC is longer than the spec allows.
 * @example
 * ```ts
 * const { provided, padLength } = parseRequestHead(head);
 * ```
 */
export function parseRequestHead(head: Uint8Array): RequestHead {
  if (head.subarray(0, VC_LENGTH).some((byte) => byte !== 0)) {
    throw new TransportError("the peer's encryption verification constant is wrong");
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return {
    provided: view.getUint32(VC_LENGTH),
    padLength: padLength(view.getUint16(VC_LENGTH + 4), "PadC"),
  };
}

/**
 * Reads len(IA), already decrypted.
 *
 * @throws {TransportError} beyond {@link MAX_INITIAL_PAYLOAD_LENGTH}.
 * @example
 * ```ts
 * const length = parseInitialPayloadLength(field);
 * ```
 */
export function parseInitialPayloadLength(field: Uint8Array): number {
  const length = (field[0] << 8) | field[1];
  if (length > MAX_INITIAL_PAYLOAD_LENGTH) {
    throw new TransportError(
      `the peer's initial payload is ${length} bytes, more than ${MAX_INITIAL_PAYLOAD_LENGTH}`,
    );
  }
  return length;
}

/**
 * The receiver's choice: the first of `accept` (in order of preference)
 * that the peer provides.
 *
 * @throws {TransportError} when the peer provides none of them.
 * @example
 * ```ts
 * chooseMethod(0x03, ["rc4", "plaintext"]); // "rc4"
 * ```
 */
export function chooseMethod(provided: number, accept: readonly MseMethod[]): MseMethod {
  const method = accept.find((candidate) => (provided & METHOD_BITS[candidate]) !== 0);
  if (method === undefined) {
    throw new TransportError("the peer offers no encryption method we accept");
  }
  return method;
}

/**
 * Step 4's head, with an empty PadD, encrypting with the receiver's cipher.
 *
 * @example
 * ```ts
 * await writeAll(stream, encodeReply("rc4", encrypt));
 * ```
 */
export function encodeReply(method: MseMethod, encrypt: Rc4): Uint8Array {
  const message = new Uint8Array(VC_LENGTH + REPLY_HEAD_LENGTH);
  new DataView(message.buffer).setUint32(VC_LENGTH, METHOD_BITS[method]);
  encrypt.crypt(message);
  return message;
}

/**
 * ENCRYPT(VC) as the receiver's cipher produces it: what the initiator
 * looks for after PadB. Computing it moves `decrypt` past the VC, exactly
 * as decrypting the VC would.
 *
 * @example
 * ```ts
 * const marker = encryptedVc(decrypt);
 * ```
 */
export function encryptedVc(decrypt: Rc4): Uint8Array {
  const vc = new Uint8Array(VC_LENGTH);
  decrypt.crypt(vc);
  return vc;
}

/** crypto_select and len(PadD), from step 4 once decrypted. */
export interface ReplyHead {
  readonly method: MseMethod;
  readonly padLength: number;
}

/**
 * Reads crypto_select and len(PadD), already decrypted.
 *
 * @throws {TransportError} when the peer selected anything but one of the
 *   methods `offered`, or PadD is longer than the spec allows.
 * @example
 * ```ts
 * const { method, padLength } = parseReplyHead(head, ["rc4"]);
 * ```
 */
export function parseReplyHead(head: Uint8Array, offered: readonly MseMethod[]): ReplyHead {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const selected = view.getUint32(0) & (METHOD_BITS.plaintext | METHOD_BITS.rc4);
  const method = offered.find((candidate) => METHOD_BITS[candidate] === selected);
  if (method === undefined) {
    throw new TransportError("the peer selected an encryption method we did not offer");
  }
  return { method, padLength: padLength(view.getUint16(4), "PadD") };
}

function methodBits(methods: readonly MseMethod[]): number {
  return methods.reduce((bits, method) => bits | METHOD_BITS[method], 0);
}

function padLength(length: number, name: string): number {
  if (length > MAX_PAD_LENGTH) {
    throw new TransportError(`the peer's ${name} is ${length} bytes, more than ${MAX_PAD_LENGTH}`);
  }
  return length;
}
