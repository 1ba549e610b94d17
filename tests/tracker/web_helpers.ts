/**
 * Helpers for the tracker's web page tests: small valid torrents (names
 * hostile ones included), announces by named peers, and form posts.
 *
 * @module
 */
import { createMetainfo, InfoHash, parseMetainfo } from "../../src/metainfo/mod.ts";
import { percentEncode } from "../../src/tracker/mod.ts";
import { announceQuery } from "./tracker_helpers.ts";

/** A torrent name that would run script if rendered as HTML (names cannot hold "/"). */
export const HOSTILE_NAME = `<img src=x onerror=alert(1)>"'&amp;`;
/** A file name with both quotes, for attributes. */
export const HOSTILE_FILE = `<b>bold<b> "it's".txt`;
/** Peer and publisher names may hold anything, closing tags included. */
export const HOSTILE_PEER = `</script><script>alert(2)</script>`;

const PIECE_LENGTH = 16384;

/**
 * A valid .torrent of `files` (a single file when there is one with the
 * torrent's name); pieces hash nothing real, which the catalog never checks.
 */
export function makeTorrent(
  name: string,
  files: readonly { path: string[]; length: number }[] = [{ path: [name], length: 40_000 }],
): Uint8Array {
  const total = files.reduce((sum, file) => sum + file.length, 0);
  const pieceHashes = new Uint8Array(Math.ceil(total / PIECE_LENGTH) * 20);
  const single = files.length === 1 && files[0].path.length === 1 && files[0].path[0] === name;
  return createMetainfo({
    name,
    layout: single ? { kind: "single", length: total } : { kind: "multi", files },
    pieceLength: PIECE_LENGTH,
    pieceHashes,
    trackers: ["http://127.0.0.1:1/announce"],
  });
}

/** The hex info hash of .torrent bytes. */
export function hashOf(bytes: Uint8Array): string {
  return parseMetainfo(bytes).infoHash.hex;
}

/** Announces peer `peer` (port 7000 + peer) to a torrent, with `name` and `event` if given. */
export async function announcePeer(
  base: string,
  infoHashHex: string,
  peer: number,
  fields: { left: number; name?: string; event?: "completed" | "stopped" },
): Promise<void> {
  const query = announceQuery({
    info_hash: InfoHash.fromHex(infoHashHex).bytes,
    peer_id: new Uint8Array(20).fill(peer),
    port: 7000 + peer,
    left: fields.left,
    event: fields.event ?? null,
  });
  const name = fields.name ? `&name=${percentEncode(new TextEncoder().encode(fields.name))}` : "";
  const response = await fetch(`${base}/announce?${query}${name}`);
  await response.body?.cancel();
  if (!response.ok) throw new Error(`announce answered ${response.status}`);
}

/** POSTs a multipart form without following the redirect. */
export function postForm(url: string, form: FormData): Promise<Response> {
  return fetch(url, { method: "POST", body: form, redirect: "manual" });
}

/** A publish form holding `bytes` as the .torrent file. */
export function publishForm(
  bytes: Uint8Array,
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  form.set("torrent", new File([bytes as Uint8Array<ArrayBuffer>], "upload.torrent"));
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return form;
}
