import { StorageError } from "./errors.ts";
import { hashClaimedPieces } from "./hash_claims.ts";
import { FAILED, type HashedFile, type HashJob, type HashWorkerMessage } from "./hash_protocol.ts";

/** Less data than this per thread is not worth a worker's start-up (about 20 ms). */
const MIN_BYTES_PER_WORKER = 64 * 1024 * 1024;
/** Bytes of pieces a thread claims at a time (at least one piece). */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Small data is cut finer: every thread gets at least this many claims to balance. */
const MIN_CLAIMS_PER_THREAD = 4;

/** What to hash: the torrent's files on disk and its piece length. */
export interface HashPiecesInput {
  readonly files: readonly HashedFile[];
  readonly pieceLength: number;
}

/** Tuning and reporting for {@link hashPieces}. */
export interface HashPiecesOptions {
  /** Called with the number of bytes hashed since the last call. */
  readonly onProgress?: (bytes: number) => void;
  /** Hashing threads to use; by default one per core, fewer for small data (under 64 MiB each). */
  readonly workers?: number;
  /**
   * Hash on the calling thread too, blocking it meanwhile: one
   * worker fewer to start (time and memory) when nothing else needs the
   * thread, as in `make-torrent` or before a seed starts serving.
   */
  readonly inline?: boolean;
}

/**
 * SHA-1 of every piece of the data, computed in parallel: Web Workers (and
 * the calling thread with `inline`) claim batches of pieces from a shared
 * counter, read them from the files and hash them.
 *
 * @returns the concatenated 20-byte hashes, in piece order.
 * @throws {StorageError} when a file cannot be read or changed meanwhile.
 * @example
 * ```ts
 * const hashes = await hashPieces({ files, pieceLength: 262144 });
 * ```
 */
export async function hashPieces(
  input: HashPiecesInput,
  options: HashPiecesOptions = {},
): Promise<Uint8Array> {
  return (await runHashTasks(input, options, false)).hashes;
}

/**
 * Rechecks data against known piece hashes, in parallel like
 * {@link hashPieces}; a missing or short file fails only its pieces.
 *
 * @returns one byte per piece: 1 where the data on disk matches its hash.
 * @example
 * ```ts
 * const verified = await verifyPieces({ files, pieceLength }, torrent.pieceHashes);
 * ```
 */
export async function verifyPieces(
  input: HashPiecesInput,
  expected: Uint8Array,
  options: HashPiecesOptions = {},
): Promise<Uint8Array> {
  const { hashes, readable } = await runHashTasks(input, options, true);
  const verified = new Uint8Array(readable.length);
  for (let piece = 0; piece < verified.length; piece++) {
    let same = readable[piece] === 1;
    for (let i = 0; same && i < 20; i++) {
      same = hashes[piece * 20 + i] === expected[piece * 20 + i];
    }
    verified[piece] = same ? 1 : 0;
  }
  return verified;
}

async function runHashTasks(
  input: HashPiecesInput,
  options: HashPiecesOptions,
  tolerateMissing: boolean,
): Promise<{ hashes: Uint8Array; readable: Uint8Array }> {
  const last = input.files[input.files.length - 1];
  const totalLength = last ? last.offset + last.length : 0;
  const pieceCount = Math.ceil(totalLength / input.pieceLength);
  if (pieceCount === 0) return { hashes: new Uint8Array(0), readable: new Uint8Array(0) };
  const threads = Math.max(
    1,
    Math.min(
      options.workers ??
        Math.min(navigator.hardwareConcurrency, Math.ceil(totalLength / MIN_BYTES_PER_WORKER)),
      pieceCount,
    ),
  );
  const job: HashJob = {
    files: input.files,
    pieceLength: input.pieceLength,
    totalLength,
    pieceCount,
    batchPieces: Math.max(
      1,
      Math.min(
        Math.floor(BATCH_BYTES / input.pieceLength),
        Math.ceil(pieceCount / (threads * MIN_CLAIMS_PER_THREAD)),
      ),
    ),
    tolerateMissing,
    control: new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)),
    hashes: new Uint8Array(new SharedArrayBuffer(pieceCount * 20)),
    readable: new Uint8Array(new SharedArrayBuffer(pieceCount)),
  };
  const onProgress = options.onProgress ?? (() => {});
  const workers = Array.from(
    { length: options.inline ? threads - 1 : threads },
    () => runWorker(job, onProgress),
  );
  if (options.inline) {
    try {
      hashClaimedPieces(job, onProgress);
    } catch (error) {
      await Promise.allSettled(workers);
      throw new StorageError(error instanceof Error ? error.message : String(error));
    }
  }
  await Promise.all(workers);
  // Copies out of shared memory: callers get ordinary buffers.
  return { hashes: new Uint8Array(job.hashes), readable: new Uint8Array(job.readable) };
}

function runWorker(job: HashJob, onProgress: (bytes: number) => void): Promise<void> {
  const worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<HashWorkerMessage>) => {
      const message = event.data;
      if (message.type === "progress") {
        onProgress(message.bytes);
        return;
      }
      worker.terminate();
      if (message.type === "done") resolve();
      else reject(new StorageError(message.message));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      Atomics.store(job.control, FAILED, 1);
      worker.terminate();
      reject(new StorageError(`hash worker failed: ${event.message}`));
    };
    worker.postMessage(job);
  });
}
