/** Bytes of a node id and of an info hash: both live in one 160-bit space (BEP 5). */
export const ID_LENGTH = 20;
/** Bits of a node id: the routing table has at most one bucket per bit. */
export const ID_BITS = ID_LENGTH * 8;

/** A 160-bit DHT node id (or an info hash, looked up in the same space). */
export type NodeId = Uint8Array;

/**
 * A node id drawn at random (BEP 5 asks for a random 160-bit id).
 *
 * @example
 * ```ts
 * const id = randomNodeId(); // 20 random bytes
 * ```
 */
export function randomNodeId(): NodeId {
  return crypto.getRandomValues(new Uint8Array(ID_LENGTH));
}

/**
 * Which of `a` and `b` is nearer `target` by XOR distance: negative when
 * `a` is, positive when `b` is, 0 when they are the same id.
 *
 * @example
 * ```ts
 * candidates.sort((a, b) => compareDistance(a.id, b.id, target));
 * ```
 */
export function compareDistance(a: NodeId, b: NodeId, target: NodeId): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const da = a[i] ^ target[i];
    const db = b[i] ^ target[i];
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * How many leading bits `a` and `b` share (160 when equal): the index of
 * the bucket `a` belongs in, in the table of a node whose id is `b`.
 *
 * @example
 * ```ts
 * commonPrefixBits(new Uint8Array(20), new Uint8Array(20).fill(0x80)); // 0
 * ```
 */
export function commonPrefixBits(a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/**
 * A random id sharing exactly `bits` leading bits with `base` (or at least
 * `bits` when `exact` is false): a target inside one bucket's range, to
 * refresh that bucket with a lookup.
 *
 * @example
 * ```ts
 * const target = idInRange(ourId, 3, true); // first 3 bits ours, the fourth not
 * ```
 */
export function idInRange(
  base: NodeId,
  bits: number,
  exact: boolean,
  random: NodeId = randomNodeId(),
): NodeId {
  const id = new Uint8Array(random);
  const whole = Math.floor(bits / 8);
  id.set(base.subarray(0, whole));
  const rest = bits % 8;
  if (whole < ID_LENGTH) {
    const keep = (0xff00 >> rest) & 0xff;
    id[whole] = (base[whole] & keep) | (id[whole] & ~keep & 0xff);
    if (exact) {
      const flip = 0x80 >> rest;
      id[whole] = (id[whole] & ~flip) | (~base[whole] & flip);
    }
  }
  return id;
}

/**
 * The id as 40 hex digits.
 *
 * @example
 * ```ts
 * idHex(new Uint8Array(20)); // "0000000000000000000000000000000000000000"
 * ```
 */
export function idHex(id: NodeId): string {
  let hex = "";
  for (let i = 0; i < id.length; i++) hex += HEX[id[i]];
  return hex;
}

/** Each byte's two hex digits: ids are turned into map keys on every message. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Whether two ids are the same. */
export function sameId(a: NodeId, b: NodeId): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
