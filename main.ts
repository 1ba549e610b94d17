/**
 * `p2p`: peer-to-peer file sharing over the BitTorrent protocol. This file
 * only hands the command line to the CLI layer.
 *
 * @module
 */
import { processEnv } from "./src/cli/env.ts";
import { runCli } from "./src/cli/program.ts";

/** Exit code for a bug in p2p itself (sysexits' EX_SOFTWARE). */
const EXIT_INTERNAL = 70;

if (import.meta.main) {
  // Last line of defence: a bug surfaces as one line, never a stack trace.
  const internalError = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    Deno.stderr.writeSync(new TextEncoder().encode(`p2p: internal error: ${message}\n`));
    if (Deno.env.get("P2P_DEBUG") && error instanceof Error && error.stack) {
      Deno.stderr.writeSync(new TextEncoder().encode(error.stack + "\n"));
    }
    Deno.exit(EXIT_INTERNAL);
  };
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    internalError(event.reason);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    internalError(event.error);
  });
  // `deno task p2p` runs in the repository; P2P_CWD (the task sets it to the directory the
  // task was started in) puts relative paths back where the user typed them.
  const startedIn = Deno.env.get("P2P_CWD");
  if (startedIn) Deno.chdir(startedIn);
  Deno.exit(await runCli(processEnv()));
}
