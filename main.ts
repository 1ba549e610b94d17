/**
 * `p2p`: peer-to-peer file sharing over the BitTorrent protocol. This file
 * only hands the command line to the CLI layer.
 *
 * @module
 */
import { processEnv } from "./src/cli/env.ts";
import { runCli } from "./src/cli/program.ts";

if (import.meta.main) {
  Deno.exit(await runCli(processEnv()));
}
