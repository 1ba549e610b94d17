import { StorageError } from "./errors.ts";
import { hashRange } from "./hash_range.ts";
import type { HashedFile, HashTask, HashWorkerMessage } from "./hash_protocol.ts";

/** Less data than this per worker is not worth a worker's start-up (about 20 ms). */
const MIN_BYTES_PER_WORKER = 64 * 1024 * 1024;

/** What to hash: the torrent's files on disk and its piece length. */
export interface HashPiecesInput {
  readonly files: readonly HashedFile[];
  readonly pieceLength: number;
}

/** Tuning and reporting for {@link hashPieces}. */
export interface HashPiecesOptions {
  /** Called with the number of bytes hashed since the last call. */
  readonly onProgress?: (bytes: number) => void;
  /** Workers to use; by default one per core, fewer for small data. */
  readonly workers?: number;
  /**
   * Hash one range on the calling thread too, blocking it meanwhile: one
   * worker fewer to start (time and memory) when nothing else needs the
   * thread, as in `make-torrent` or before a seed starts serving.
   */
  readonly inline?: boolean;
}

/**
 * SHA-1 of every piece of the data, computed in parallel: each Web Worker
 * reads its own contiguous range of pieces from the files and hashes it.
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
  const workerCount = Math.max(
    1,
    Math.min(
      options.workers ?? navigator.hardwareConcurrency,
      Math.ceil(totalLength / MIN_BYTES_PER_WORKER),
      pieceCount,
    ),
  );
  const piecesPerWorker = Math.ceil(pieceCount / workerCount);
  const ranges: HashTask[] = [];
  for (let first = 0; first < pieceCount; first += piecesPerWorker) {
    ranges.push({
      files: input.files,
      pieceLength: input.pieceLength,
      totalLength,
      firstPiece: first,
      endPiece: Math.min(pieceCount, first + piecesPerWorker),
      tolerateMissing,
    });
  }
  const onProgress = options.onProgress ?? (() => {});
  const [first, ...rest] = ranges;
  const running = (options.inline ? rest : ranges).map((task) => runWorker(task, onProgress));
  let inlinePart: { hashes: Uint8Array; readable: Uint8Array } | undefined;
  if (options.inline) {
    try {
      inlinePart = hashRange(first, onProgress);
    } catch (error) {
      await Promise.allSettled(running);
      throw new StorageError(error instanceof Error ? error.message : String(error));
    }
  }
  const parts = [...(inlinePart ? [inlinePart] : []), ...(await Promise.all(running))];
  const hashes = new Uint8Array(pieceCount * 20);
  const readable = new Uint8Array(pieceCount);
  parts.forEach((part, i) => {
    hashes.set(part.hashes, ranges[i].firstPiece * 20);
    readable.set(part.readable, ranges[i].firstPiece);
  });
  return { hashes, readable };
}

function runWorker(
  task: HashTask,
  onProgress?: (bytes: number) => void,
): Promise<{ hashes: Uint8Array; readable: Uint8Array }> {
  const worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<HashWorkerMessage>) => {
      const message = event.data;
      if (message.type === "progress") {
        onProgress?.(message.bytes);
        return;
      }
      worker.terminate();
      if (message.type === "done") resolve(message);
      else reject(new StorageError(message.message));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new StorageError(`hash worker failed: ${event.message}`));
    };
    worker.postMessage(task);
  });
}
