/**
 * Findings as a person reads them (target, error, stack, the input in hex
 * and base64, how to replay it) and as files under `tests/fuzz/findings/`
 * (gitignored, made only when there is a finding): `TARGET-HASH.bin` holds
 * the input for `deno task fuzz --replay`, `TARGET-HASH.txt` the report.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Finding } from "./protocol.ts";

/** Where findings are saved. */
export const FINDINGS_DIR = new URL("../../tests/fuzz/findings/", import.meta.url).pathname;
/** Bytes of an input shown in a report; the saved file always has all of it. */
const SHOWN_BYTES = 512;

const FILE_NAME = /^(?<target>[a-z0-9-]+)-[0-9a-f]{12}\.bin$/;

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** The file a finding is saved in: the same input always gets the same name. */
export function findingFileName(finding: Finding): string {
  const hash = createHash("sha1").update(finding.input).digest("hex").slice(0, 12);
  return `${finding.target}-${hash}.bin`;
}

/** The target a saved finding's file name names, or null for any other file. */
export function targetOfFindingFile(path: string): string | null {
  return FILE_NAME.exec(path.split("/").at(-1) ?? "")?.groups?.target ?? null;
}

function indent(text: string, prefix: string): string {
  return text.split("\n").map((line) => prefix + line).join("\n");
}

/**
 * A finding as a report; `savedAs` is the path of its `.bin` file, if saved.
 *
 * @example
 * ```ts
 * console.error(formatFinding(finding, "tests/fuzz/findings/wire-0123456789ab.bin"));
 * ```
 */
export function formatFinding(finding: Finding, savedAs?: string): string {
  const { input } = finding;
  const shown = input.subarray(0, SHOWN_BYTES);
  const cut = input.length > SHOWN_BYTES ? ` (first ${SHOWN_BYTES} bytes; the file has all)` : "";
  const shrunk = finding.originalLength !== undefined
    ? `, shrunk from ${finding.originalLength} bytes in ${finding.shrinks ?? 0} steps`
    : "";
  const lines = [
    `FINDING in target "${finding.target}" (${finding.kind}): ${finding.error.name}: ${finding.error.message}`,
    `  input: ${input.length} bytes${shrunk}${cut}`,
    `    hex    ${toHex(shown)}`,
    `    base64 ${toBase64(shown)}`,
    "  stack:",
    indent(finding.error.stack, "    "),
  ];
  if (finding.seed !== undefined) {
    lines.push(
      `  fast-check: seed ${finding.seed}, path "${
        finding.path ?? ""
      }" (the input before shrinking)`,
    );
  }
  if (savedAs) {
    lines.push(`  saved: ${savedAs}`, `  replay: deno task fuzz --replay ${savedAs}`);
  }
  return lines.join("\n");
}

/**
 * Saves a finding's input and report under `dir`; returns the input's path.
 *
 * @example
 * ```ts
 * const file = await saveFinding(finding);
 * ```
 */
export async function saveFinding(finding: Finding, dir = FINDINGS_DIR): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const binary = `${dir}${findingFileName(finding)}`;
  await Deno.writeFile(binary, finding.input);
  await Deno.writeTextFile(binary.replace(/\.bin$/, ".txt"), formatFinding(finding, binary) + "\n");
  return binary;
}
