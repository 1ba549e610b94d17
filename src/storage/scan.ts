import { basename, join, resolve } from "node:path";
import { describeFileError, StorageError } from "./errors.ts";

/** A file found on disk to put into a new torrent. */
export interface SourceFile {
  readonly absolutePath: string;
  /** Path components below the torrent's top directory (`[name]` for a single file). */
  readonly path: string[];
  readonly length: number;
}

/** What was found at a path given to make-torrent. */
export interface ScannedSource {
  /** The file's or directory's own name, the default torrent name. */
  readonly name: string;
  readonly kind: "single" | "multi";
  /** In torrent order: sorted by their `/`-joined relative path, byte by byte. */
  readonly files: SourceFile[];
  /** Relative paths passed over (symbolic links not followed, other non-files). */
  readonly skipped: string[];
}

/** How a directory is walked. */
export interface ScanOptions {
  /** Take files and directories whose name starts with "." (left out by default). */
  readonly includeHidden?: boolean;
  /** Follow symbolic links (left out by default; a link loop is an error). */
  readonly followSymlinks?: boolean;
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Finds the files to put into a torrent of `path`. A file makes a
 * single-file torrent; a directory makes a multi-file torrent of every
 * regular file below it. Empty directories are skipped (torrents list only
 * files); hidden names and symbolic links follow `options`. The path given
 * itself is always taken, even when hidden or a link.
 *
 * @throws {StorageError} when the path is missing, unreadable or holds no file.
 * @example
 * ```ts
 * const source = await scanSource("./album");
 * source.files.map((f) => f.path.join("/"));
 * ```
 */
export async function scanSource(path: string, options: ScanOptions = {}): Promise<ScannedSource> {
  const absolutePath = resolve(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(absolutePath);
  } catch (error) {
    throw new StorageError(`${describeFileError(error)}: ${path}`);
  }
  const name = basename(absolutePath);
  if (info.isFile) {
    return {
      name,
      kind: "single",
      files: [{ absolutePath, path: [name], length: info.size }],
      skipped: [],
    };
  }
  if (!info.isDirectory) throw new StorageError(`not a file or directory: ${path}`);

  const files: SourceFile[] = [];
  const skipped: string[] = [];
  const visitedDirectories = new Set<string>([await Deno.realPath(absolutePath)]);
  async function walk(directory: string, relative: string[]): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(directory));
    } catch (error) {
      throw new StorageError(`${describeFileError(error)}: ${directory}`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".") && !options.includeHidden) continue;
      const entryPath = join(directory, entry.name);
      const entryRelative = [...relative, entry.name];
      let entryInfo: Deno.FileInfo;
      try {
        entryInfo = entry.isSymlink && options.followSymlinks
          ? await Deno.stat(entryPath)
          : await Deno.lstat(entryPath);
      } catch (error) {
        throw new StorageError(`${describeFileError(error)}: ${entryPath}`);
      }
      if (entryInfo.isFile) {
        files.push({ absolutePath: entryPath, path: entryRelative, length: entryInfo.size });
      } else if (entryInfo.isDirectory) {
        const real = await Deno.realPath(entryPath);
        if (visitedDirectories.has(real)) {
          throw new StorageError(`symbolic link loop at ${entryPath}`);
        }
        visitedDirectories.add(real);
        await walk(entryPath, entryRelative);
        visitedDirectories.delete(real);
      } else {
        skipped.push(entryRelative.join("/"));
      }
    }
  }
  await walk(absolutePath, []);
  if (files.length === 0) throw new StorageError(`no files to share in ${path}`);
  const sortKeys = new Map(files.map((file) => [file, utf8.encode(file.path.join("/"))]));
  files.sort((a, b) => compareBytes(sortKeys.get(a)!, sortKeys.get(b)!));
  skipped.sort();
  return { name, kind: "multi", files, skipped };
}
