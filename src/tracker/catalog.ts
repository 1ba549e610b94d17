import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { type Metainfo, parseMetainfo } from "../metainfo/mod.ts";

/** One published torrent, as the catalog lists it. */
export interface CatalogEntry {
  readonly infoHash: string;
  readonly name: string;
  readonly totalLength: number;
  readonly files: { path: string; length: number }[];
  /** Milliseconds since the epoch. */
  readonly publishedAt: number;
  /** Who published it (the publisher's peer name, if it gave one). */
  readonly publishedBy: string | null;
}

/** Most results one search returns. */
export const MAX_SEARCH_RESULTS = 100;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS torrents (
    info_hash    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    total_length INTEGER NOT NULL,
    files        TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT,
    metainfo     BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS torrents_by_name ON torrents (name);
`;

interface Row {
  info_hash: string;
  name: string;
  total_length: number;
  files: string;
  published_at: number;
  published_by: string | null;
}

function toEntry(row: Row): CatalogEntry {
  return {
    infoHash: row.info_hash,
    name: row.name,
    totalLength: row.total_length,
    files: JSON.parse(row.files),
    publishedAt: row.published_at,
    publishedBy: row.published_by,
  };
}

/**
 * The tracker's persistent catalog of published torrents (the report's
 * `file_metadata` and `file_sharing`), in SQLite under the data directory.
 * Every publish is one committed transaction, so a killed tracker loses
 * nothing it has acknowledged.
 */
export class Catalog {
  readonly #db: DatabaseSync;
  /**
   * Names of published torrents by hex info hash, in memory: the closed-mode
   * check runs on every announce and the log names torrents on every event.
   */
  readonly #published = new Map<string, string>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
    for (const row of db.prepare("SELECT info_hash, name FROM torrents").all()) {
      this.#published.set(String(row.info_hash), String(row.name));
    }
  }

  /**
   * Opens (creating if needed) the catalog in `dataDirectory`.
   *
   * @example
   * ```ts
   * const catalog = await Catalog.open("./tracker-data");
   * ```
   */
  static async open(dataDirectory: string): Promise<Catalog> {
    await Deno.mkdir(dataDirectory, { recursive: true });
    const db = new DatabaseSync(join(dataDirectory, "catalog.sqlite"));
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    db.exec(SCHEMA);
    return new Catalog(db);
  }

  /** Number of published torrents. */
  get size(): number {
    return this.#published.size;
  }

  /**
   * True if the torrent with this hex info hash is published.
   *
   * @example
   * ```ts
   * catalog.has("aabb...");
   * ```
   */
  has(infoHashHex: string): boolean {
    return this.#published.has(infoHashHex);
  }

  /**
   * The name of the published torrent with this hex info hash, if any.
   *
   * @example
   * ```ts
   * catalog.nameOf("aabb..."); // "eBook.txt"
   * ```
   */
  nameOf(infoHashHex: string): string | undefined {
    return this.#published.get(infoHashHex);
  }

  /**
   * Publishes a .torrent (validated with the shared parser). Publishing the
   * same torrent again changes nothing.
   *
   * @throws {MetainfoError} when the bytes are not a valid torrent.
   * @example
   * ```ts
   * const { torrent, added } = catalog.publish(bytes, "client1");
   * ```
   */
  publish(bytes: Uint8Array, publishedBy?: string): { torrent: Metainfo; added: boolean } {
    const torrent = parseMetainfo(bytes);
    if (this.#published.has(torrent.infoHash.hex)) return { torrent, added: false };
    const files = torrent.files.map((file) => ({
      path: (torrent.multiFile ? [torrent.name, ...file.path] : file.path).join("/"),
      length: file.length,
    }));
    this.#db.prepare(
      `INSERT OR IGNORE INTO torrents
         (info_hash, name, total_length, files, published_at, published_by, metainfo)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      torrent.infoHash.hex,
      torrent.name,
      torrent.totalLength,
      JSON.stringify(files),
      Date.now(),
      publishedBy ?? null,
      bytes,
    );
    this.#published.set(torrent.infoHash.hex, torrent.name);
    return { torrent, added: true };
  }

  /**
   * Torrents whose name contains `text` (case-insensitive), newest first;
   * an empty text lists everything, up to {@link MAX_SEARCH_RESULTS}.
   *
   * @example
   * ```ts
   * catalog.search("ebook");
   * ```
   */
  search(text: string): CatalogEntry[] {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.#db.prepare(
      `SELECT info_hash, name, total_length, files, published_at, published_by FROM torrents
       WHERE name LIKE ? ESCAPE '\\' ORDER BY published_at DESC LIMIT ?`,
    ).all(pattern, MAX_SEARCH_RESULTS) as unknown as Row[];
    return rows.map(toEntry);
  }

  /**
   * The catalog entry of a torrent, or null.
   *
   * @example
   * ```ts
   * catalog.entry(hex)?.name;
   * ```
   */
  entry(infoHashHex: string): CatalogEntry | null {
    const row = this.#db.prepare(
      `SELECT info_hash, name, total_length, files, published_at, published_by FROM torrents
       WHERE info_hash = ?`,
    ).get(infoHashHex) as unknown as Row | undefined;
    return row ? toEntry(row) : null;
  }

  /**
   * The exact bytes that were published, or null.
   *
   * @example
   * ```ts
   * catalog.metainfo(hex);
   * ```
   */
  metainfo(infoHashHex: string): Uint8Array | null {
    const row = this.#db.prepare("SELECT metainfo FROM torrents WHERE info_hash = ?").get(
      infoHashHex,
    );
    return row ? (row.metainfo as Uint8Array) : null;
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
