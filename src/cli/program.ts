import { Argument, Command, CommanderError } from "commander";
import { BencodeError } from "../bencode/mod.ts";
import { MetainfoError } from "../metainfo/mod.ts";
import { StorageError } from "../storage/mod.ts";
import { TrackerError } from "../tracker/mod.ts";
import { TransportError } from "../transport/mod.ts";
import { DhtError } from "../dht/mod.ts";
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from "./completions.ts";
import { DaemonError } from "../daemon/mod.ts";
import { daemonCommand } from "./daemon.ts";
import { dhtCommand } from "./dht.ts";
import type { CliEnv } from "./env.ts";
import { CommandError, Interrupted } from "./errors.ts";
import { infoCommand } from "./info.ts";
import { makeTorrentCommand } from "./make_torrent.ts";
import { manualOf } from "./manual.ts";
import { fetchCommand } from "./fetch.ts";
import { getCommand } from "./get.ts";
import { publishCommand } from "./publish.ts";
import { seedCommand } from "./seed.ts";
import { shellCommand } from "./shell.ts";
import { streamCommand } from "./stream.ts";
import { trackerCommand } from "./tracker.ts";
import { terminal } from "./terminal.ts";
import { unpublishCommand } from "./unpublish.ts";
import { VERSION } from "./version.ts";

/** Exit code for a command line that cannot be parsed (as getopt tools do). */
export const EXIT_USAGE = 2;
/** Exit code for a command that failed. */
export const EXIT_FAILURE = 1;

/** Errors whose message is written for the user: printed as one line. */
const USER_ERRORS = [
  CommandError,
  MetainfoError,
  StorageError,
  BencodeError,
  TrackerError,
  TransportError,
  DhtError,
  DaemonError,
];

function buildProgram(env: CliEnv): Command {
  const program = new Command("p2p")
    .description("peer-to-peer file sharing over the BitTorrent protocol")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("Usage: p2p [options] [command]\nRun 'p2p --help' for the commands.")
    .configureOutput({
      writeOut: (text) => env.stdout.write(text),
      writeErr: (text) => env.stderr.write(text),
      outputError: (text, write) => write(`p2p: ${text.replace(/^error: /, "")}`),
    })
    .exitOverride();
  const commands = [
    makeTorrentCommand(env),
    infoCommand(env),
    trackerCommand(env),
    seedCommand(env),
    getCommand(env),
    publishCommand(env),
    unpublishCommand(env),
    fetchCommand(env),
    shellCommand(env),
    streamCommand(env),
    dhtCommand(env),
    daemonCommand(env),
  ];
  for (const command of commands) {
    const name = `p2p ${command.name()}`;
    program.addCommand(
      command
        .exitOverride()
        .configureOutput(program.configureOutput())
        .showHelpAfterError(`Usage: ${name} ${command.usage()}\nRun '${name} --help' for details.`)
        .addHelpText("after", `\nThe manual: p2p help ${command.name()}`),
    );
  }
  // Both after the commands, so that their completion scripts and manuals know them all.
  program.helpCommand(false);
  program.addCommand(helpCommand(env, program).exitOverride());
  program.addCommand(completionsCommand(env, program).exitOverride());
  return program;
}

/** `p2p help [COMMAND]`: the program's help, or a command's usage and its README section. */
function helpCommand(env: CliEnv, program: Command): Command {
  return new Command("help")
    .description("the manual of a command: its usage and its section of the README")
    .argument("[command]", "a command (all of them are listed without)")
    .action((name?: string) => {
      if (name === undefined) {
        env.stdout.write(program.helpInformation());
        return;
      }
      const command = program.commands.find((known) => known.name() === name);
      if (!command) {
        throw new CommandError(
          `no command "${name}": ${program.commands.map((known) => known.name()).join(", ")}`,
        );
      }
      const section = manualOf(name);
      env.stdout.write(`${command.helpInformation()}${section ? `\n${section}\n` : ""}`);
    });
}

/** `p2p completions bash|zsh|fish`: the completion script for a shell. */
function completionsCommand(env: CliEnv, program: Command): Command {
  return new Command("completions")
    .description("a completion script for bash, zsh or fish (see the README's Install)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(COMPLETION_SHELLS))
    .action((shell: CompletionShell) => env.stdout.write(completionScript(program, shell)));
}

/**
 * Runs the command line in `env` and returns the exit code. Only this layer
 * prints errors: one line, `p2p: <message>`, never a stack trace.
 *
 * @example
 * ```ts
 * Deno.exit(await runCli(processEnv()));
 * ```
 */
export async function runCli(env: CliEnv): Promise<number> {
  const program = buildProgram(env);
  if (env.args.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...env.args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are how commander ends after printing them.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = describeError(error);
    terminal(env).line(`p2p: ${message}`);
    // A script reading --json output gets the failure as JSON too, not an empty stdout.
    if (env.args.includes("--json")) env.stdout.write(`${JSON.stringify({ error: message })}\n`);
    return error instanceof Interrupted ? error.exitCode : EXIT_FAILURE;
  }
}

function describeError(error: unknown): string {
  if (USER_ERRORS.some((kind) => error instanceof kind)) return (error as Error).message;
  if (error instanceof Deno.errors.PermissionDenied) return `permission denied: ${error.message}`;
  if (error instanceof Error && "code" in error && error.code === "ENOSPC") {
    return `no space left on device: ${error.message}`;
  }
  if (error instanceof Error) return `unexpected error: ${error.message}`;
  return `unexpected error: ${String(error)}`;
}
