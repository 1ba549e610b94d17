/**
 * `p2p help COMMAND`: the command's usage, then its section of the README,
 * which is the manual (embedded in the program, so the compiled binary has
 * it too, and it cannot drift from what the README says).
 *
 * @module
 */
import readme from "../../README.md" with { type: "text" };

/**
 * The README's section about `command`: the one whose heading starts
 * with `` `p2p COMMAND``, else the first that names `` `p2p COMMAND`` or
 * `` `COMMAND` `` in backticks (the report's workflow covers `publish`, `fetch` and `shell`
 * together); its text up to the next heading of the same or a higher level.
 * Undefined when no heading names it.
 *
 * @example
 * ```ts
 * manualSection(readme, "get"); // "### `p2p get X.torrent|URL|MAGNET`\n..."
 * ```
 */
export function manualSection(markdown: string, command: string): string | undefined {
  const lines = markdown.split("\n");
  const headings = lines.flatMap((line, index) => {
    const heading = /^(#{2,4}) (.*)$/.exec(line);
    return heading ? [{ index, level: heading[1].length, text: heading[2] }] : [];
  });
  const found = headings.find((heading) => heading.text.startsWith(`\`p2p ${command}`)) ??
    headings.find((heading) =>
      new RegExp(`\`p2p ${command}[\` ]`).test(heading.text) ||
      heading.text.includes(`\`${command}\``)
    );
  if (!found) return undefined;
  const next = headings.find((heading) =>
    heading.index > found.index && heading.level <= found.level
  );
  return lines.slice(found.index, next?.index ?? lines.length).join("\n").trim();
}

/** {@link manualSection} of the README this program was built with. */
export function manualOf(command: string): string | undefined {
  return manualSection(readme, command);
}
