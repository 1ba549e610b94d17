/** Where a file sits in a torrent's concatenated data. */
export interface PlacedFile {
  readonly offset: number;
  readonly length: number;
}

/** A run of bytes inside one file. */
export interface FileSpan {
  readonly fileIndex: number;
  /** Byte offset inside that file. */
  readonly fileOffset: number;
  readonly length: number;
}

/**
 * Splits the byte range `[start, start + length)` of the torrent's data into
 * runs inside its files, in order; empty files contribute nothing.
 *
 * @example
 * ```ts
 * fileSpans([{ offset: 0, length: 3 }, { offset: 3, length: 5 }], 2, 4);
 * // [{ fileIndex: 0, fileOffset: 2, length: 1 }, { fileIndex: 1, fileOffset: 0, length: 3 }]
 * ```
 */
export function fileSpans(
  files: readonly PlacedFile[],
  start: number,
  length: number,
): FileSpan[] {
  const spans: FileSpan[] = [];
  let fileIndex = firstFileEndingAfter(files, start);
  let position = start;
  const end = start + length;
  while (position < end && fileIndex < files.length) {
    const file = files[fileIndex];
    const fileEnd = file.offset + file.length;
    if (fileEnd > position) {
      const runEnd = Math.min(end, fileEnd);
      spans.push({ fileIndex, fileOffset: position - file.offset, length: runEnd - position });
      position = runEnd;
    }
    fileIndex++;
  }
  return spans;
}

/** Binary search: the first file whose end lies beyond `position`. */
function firstFileEndingAfter(files: readonly PlacedFile[], position: number): number {
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (files[middle].offset + files[middle].length > position) high = middle;
    else low = middle + 1;
  }
  return low;
}
