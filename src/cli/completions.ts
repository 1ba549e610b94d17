/**
 * Shell completion scripts for bash, zsh and fish, made from the command
 * line's own definition (commander's commands and options), so they never
 * fall behind it: commands, each command's flags, the values of flags that
 * have a fixed set (`--encryption prefer|require|allow|off`), and files
 * wherever a path or a torrent goes.
 *
 * @module
 */
import type { Command } from "commander";

/** The shells `p2p completions` writes scripts for. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = typeof COMPLETION_SHELLS[number];

/** A flag as completion needs it. */
interface FlagModel {
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  readonly takesValue: boolean;
  readonly choices?: readonly string[];
}

/** A command as completion needs it. */
interface CommandModel {
  readonly name: string;
  readonly description: string;
  readonly flags: readonly FlagModel[];
}

/** The completion model of a commander program: its commands and their flags. */
function modelOf(program: Command): CommandModel[] {
  // help and completions take a command or a shell, not flags: each script has its own case.
  const completed = program.commands.filter((command) =>
    !["help", "completions"].includes(command.name())
  );
  return completed.map((command) => ({
    name: command.name(),
    description: command.description(),
    flags: [
      ...command.options.map((option) => ({
        short: option.short,
        long: option.long,
        description: option.description,
        takesValue: option.required || option.optional,
        choices: option.argChoices,
      })),
      { short: "-h", long: "--help", description: "display help for command", takesValue: false },
    ],
  }));
}

/**
 * The completion script of `shell` for `program`.
 *
 * @example
 * ```ts
 * env.stdout.write(completionScript(program, "bash"));
 * ```
 */
export function completionScript(program: Command, shell: CompletionShell): string {
  const commands = modelOf(program);
  if (shell === "bash") return bashScript(commands);
  if (shell === "zsh") return zshScript(commands);
  return fishScript(commands);
}

const words = (flags: readonly FlagModel[]) =>
  flags.flatMap((flag) => [flag.short, flag.long].filter((name) => name !== undefined)).join(" ");

function bashScript(commands: CommandModel[]): string {
  const flagCases = commands.map((command) => {
    const valued = command.flags.filter((flag) => flag.takesValue);
    const choiceCases = valued.filter((flag) => flag.choices).map((flag) =>
      `        ${[flag.short, flag.long].filter(Boolean).join("|")}) ` +
      `COMPREPLY=($(compgen -W "${flag.choices!.join(" ")}" -- "$cur")); return ;;`
    );
    const otherValued = valued.filter((flag) => !flag.choices);
    const fileCase = otherValued.length === 0 ? [] : [
      `        ${otherValued.flatMap((f) => [f.short, f.long].filter(Boolean)).join("|")}) ` +
      `COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
    ];
    return [
      `    ${command.name})`,
      `      case "$prev" in`,
      ...choiceCases,
      ...fileCase,
      `      esac`,
      `      flags="${words(command.flags)}" ;;`,
    ].join("\n");
  }).join("\n");
  return `# bash completion for p2p: source it, or put it in ~/.local/share/bash-completion/completions/p2p
_p2p() {
  local cur prev command flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  command="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${
    commands.map((c) => c.name).join(" ")
  } help completions --help --version" -- "$cur"))
    return
  fi
  case "$command" in
${flagCases}
    help) COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")}" -- "$cur")); return ;;
    completions) COMPREPLY=($(compgen -W "${COMPLETION_SHELLS.join(" ")}" -- "$cur")); return ;;
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _p2p p2p
`;
}

/** Text inside zsh's single-quoted `[description]`. */
const zshText = (text: string) => text.replace(/'/g, "'\\''").replace(/[[\]:]/g, "\\$&");

function zshScript(commands: CommandModel[]): string {
  const specs = commands.map((command) => {
    const flags = command.flags.map((flag) => {
      const names = [flag.short, flag.long].filter(Boolean) as string[];
      const value = !flag.takesValue
        ? ""
        : flag.choices
        ? `:value:(${flag.choices.join(" ")})`
        : ":value:_files";
      const spec = names.length > 1
        ? `'(${names.join(" ")})'{${names.join(",")}}'[${zshText(flag.description)}]${value}'`
        : `'${names[0]}[${zshText(flag.description)}]${value}'`;
      return `        ${spec}`;
    });
    return `    (${command.name})\n      _arguments -s \\\n${
      [...flags, "        '*:file:_files'"].join(" \\\n")
    } ;;`;
  }).join("\n");
  const described = commands.map((command) =>
    `    '${command.name}:${zshText(command.description)}'`
  ).join("\n");
  return `#compdef p2p
# zsh completion for p2p: put it in a directory of $fpath as _p2p, or source it after compinit
_p2p() {
  local -a commands
  commands=(
${described}
    'help:the manual of a command'
    'completions:a completion script for bash, zsh or fish'
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${specs}
    (help) _describe 'command' commands ;;
    (completions) _values 'shell' ${COMPLETION_SHELLS.join(" ")} ;;
  esac
}
if (( $+functions[compdef] )); then compdef _p2p p2p; fi
`;
}

/** Text inside fish's single quotes. */
const fishText = (text: string) => text.replace(/\\/g, "\\\\").replace(/'/g, "\\'");

function fishScript(commands: CommandModel[]): string {
  const names = commands.map((command) => command.name).join(" ");
  const lines = [
    "# fish completion for p2p: put it in ~/.config/fish/completions/p2p.fish",
    "complete -c p2p -f",
    ...commands.map((command) =>
      `complete -c p2p -n '__fish_use_subcommand' -a ${command.name} -d '${
        fishText(command.description)
      }'`
    ),
    "complete -c p2p -n '__fish_use_subcommand' -a help -d 'the manual of a command'",
    "complete -c p2p -n '__fish_use_subcommand' -a completions -d 'a completion script for bash, zsh or fish'",
    `complete -c p2p -n '__fish_seen_subcommand_from help' -a '${names}'`,
    `complete -c p2p -n '__fish_seen_subcommand_from completions' -a '${
      COMPLETION_SHELLS.join(" ")
    }'`,
  ];
  for (const command of commands) {
    const when = `-n '__fish_seen_subcommand_from ${command.name}'`;
    lines.push(`complete -c p2p ${when} -F`);
    for (const flag of command.flags) {
      const short = flag.short ? ` -s ${flag.short.slice(1)}` : "";
      const long = flag.long ? ` -l ${flag.long.slice(2)}` : "";
      const value = !flag.takesValue
        ? ""
        : flag.choices
        ? ` -x -a '${flag.choices.join(" ")}'`
        : " -r -F";
      lines.push(
        `complete -c p2p ${when}${short}${long}${value} -d '${fishText(flag.description)}'`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
