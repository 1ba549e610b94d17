/**
 * The example file of the report's demo: `eBook.txt`, 3,359,647 bytes of
 * readable text, the same bytes on every machine (so its SHA-1 is stable).
 *
 * @module
 */

/** Size of the report's eBook.txt (its metainfo says 3,359,647 bytes). */
export const EBOOK_SIZE = 3_359_647;

const WORDS = (
  "peer tracker piece hash swarm seed leech block bitfield choke unchoke interested " +
  "request have handshake announce scrape torrent metainfo network socket round robin"
).split(" ");

/**
 * The text of the example eBook: numbered lines of words drawn by a fixed
 * pseudo-random sequence, cut to `size` bytes.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("eBook.txt", ebookText());
 * ```
 */
export function ebookText(size: number = EBOOK_SIZE): string {
  const lines: string[] = [];
  let length = 0;
  let state = 2252145;
  for (let line = 1; length < size; line++) {
    const words: string[] = [];
    for (let i = 0; i < 12; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      words.push(WORDS[state % WORDS.length]);
    }
    const text = `${String(line).padStart(6)}  ${words.join(" ")}.\n`;
    lines.push(text);
    length += text.length;
  }
  return lines.join("").slice(0, size);
}
