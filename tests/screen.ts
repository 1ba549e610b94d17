/**
 * What a terminal shows after a program's output: the output is played
 * into a headless terminal emulator (xterm.js), so cursor moves, line
 * clears and redraws land where a real terminal would put them, and tests
 * assert on the resulting lines rather than on escape sequences.
 *
 * @module
 */
import xterm from "@xterm/headless";

/**
 * The lines a `columns`-wide terminal shows after `output`, scrollback
 * included, each without trailing blanks, trailing empty lines left out.
 */
export async function finalScreen(output: string, columns = 80): Promise<string[]> {
  const emulator = new xterm.Terminal({
    cols: columns,
    rows: 50,
    scrollback: 10_000,
    // Reading the buffer is a "proposed" API in xterm.js 6.
    allowProposedApi: true,
  });
  // A pseudo-terminal turns "\n" into "\r\n"; text written straight to the emulator needs that too.
  const text = output.replace(/\r?\n/g, "\r\n");
  await new Promise<void>((resolve) => emulator.write(text, resolve));
  const buffer = emulator.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < buffer.length; row++) {
    lines.push(buffer.getLine(row)?.translateToString(true) ?? "");
  }
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  emulator.dispose();
  return lines;
}
