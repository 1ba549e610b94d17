import { Argument, Command, CommanderError } from "commander";
// The error classes come from their modules' errors.ts, not mod.ts: this file loads for every
// command, and a mod.ts would load its whole layer (the engine, the web pages) with it.
import { BencodeError } from "../bencode/errors.ts";
import { MetainfoError } from "../metainfo/errors.ts";
import { StorageError } from "../storage/errors.ts";
import { TrackerError } from "../tracker/errors.ts";
import { TransportError } from "../transport/stream.ts";
import { DhtError } from "../dht/errors.ts";
import { DaemonError } from "../daemon/errors.ts";
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from "./completions.ts";
import type { CliEnv } from "./env.ts";
import { CommandError, Interrupted } from "./errors.ts";
import { terminal } from "./terminal.ts";
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

/** Builds one command of the program for `env`. */
type CommandFactory = (env: CliEnv) => Command;

/**
 * Every command's module, in the order of `p2p --help`, loaded on demand: a
 * run loads only the command it names, so `p2p tracker` (which may hold a
 * million peers for weeks) carries neither the engine nor the daemon's web
 * UI in its memory, and `p2p get` no tracker web pages.
 */
const COMMAND_MODULES: Record<string, () => Promise<CommandFactory>> = {
  "make-torrent": async () => (await import("./make_torrent.ts")).makeTorrentCommand,
  info: async () => (await import("./info.ts")).infoCommand,
  tracker: async () => (await import("./tracker.ts")).trackerCommand,
  seed: async () => (await import("./seed.ts")).seedCommand,
  get: async () => (await import("./get.ts")).getCommand,
  publish: async () => (await import("./publish.ts")).publishCommand,
  unpublish: async () => (await import("./unpublish.ts")).unpublishCommand,
  fetch: async () => (await import("./fetch.ts")).fetchCommand,
  shell: async () => (await import("./shell.ts")).shellCommand,
  stream: async () => (await import("./stream.ts")).streamCommand,
  dht: async () => (await import("./dht.ts")).dhtCommand,
  daemon: async () => (await import("./daemon.ts")).daemonCommand,
};

/**
 * The commands a command line needs: none for --version, the one it names,
 * or all of them when it names none (help, completions, a typo commander
 * suggests a fix for).
 */
async function commandsFor(env: CliEnv): Promise<Command[]> {
  const named = env.args[0];
  if (named === "--version" || named === "-V") return [];
  const loaders = Object.hasOwn(COMMAND_MODULES, named ?? "")
    ? [COMMAND_MODULES[named]]
    : Object.values(COMMAND_MODULES);
  const factories = await Promise.all(loaders.map((load) => load()));
  return factories.map((factory) => factory(env));
}

function buildProgram(env: CliEnv, commands: Command[]): Command {
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
    .action(async (name?: string) => {
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
      // The README is 100 KB of text: loaded only for the manual.
      const section = (await import("./manual.ts")).manualOf(name);
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
  const program = buildProgram(env, await commandsFor(env));
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
