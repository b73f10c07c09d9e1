import { EXIT, InputError } from "../errors.js";

export const COMPLETION_HELP = `Usage: celgate completion bash|zsh|fish

Prints a shell completion script for commands, subcommands and options. Install it:
  bash:  celgate completion bash > ~/.local/share/bash-completion/completions/celgate
  zsh:   celgate completion zsh > "\${fpath[1]}/_celgate"
  fish:  celgate completion fish > ~/.config/fish/completions/celgate.fish
`;

/** Each command with its subcommands; options are read from the command's own help text. */
async function commands(): Promise<{ name: string; sub: string[]; options: string[]; help: string }[]> {
  const helps: [string, string[], Promise<string>][] = [
    ["check", [], import("./check.js").then((m) => m.CHECK_HELP)],
    ["test", [], import("./test.js").then((m) => m.TEST_HELP)],
    ["validate", [], import("./validate.js").then((m) => m.VALIDATE_HELP)],
    ["export", ["vap"], import("./export.js").then((m) => m.EXPORT_HELP)],
    ["images", ["push"], import("./images.js").then((m) => m.IMAGES_HELP)],
    ["findings", [], import("./findings.js").then((m) => m.FINDINGS_HELP)],
    ["policies", ["list", "show"], import("./policies.js").then((m) => m.POLICIES_HELP)],
    ["eval", [], import("./eval.js").then((m) => m.EVAL_HELP)],
    ["explain", [], import("./explain.js").then((m) => m.EXPLAIN_HELP)],
    ["verify", [], import("./verify.js").then((m) => m.VERIFY_HELP)],
    ["completion", ["bash", "zsh", "fish"], Promise.resolve(COMPLETION_HELP)],
  ];
  return Promise.all(
    helps.map(async ([name, sub, help]) => {
      const text = await help;
      const options = [...text.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!);
      const summary = /^Usage: [^\n]*\n\n([^\n]*)/.exec(text)?.[1] ?? "";
      return { name, sub, options: [...new Set(options)], help: summary };
    }),
  );
}

/** Runs `celgate completion SHELL`. */
export async function completion(argv: string[]): Promise<number> {
  const [shell, ...extra] = argv;
  if (shell === "-h" || shell === "--help") {
    process.stdout.write(COMPLETION_HELP);
    return EXIT.allowed;
  }
  if (extra.length > 0 || (shell !== "bash" && shell !== "zsh" && shell !== "fish"))
    throw new InputError(
      `completion: expected one of bash, zsh, fish${shell ? `, not ${JSON.stringify(shell)}` : ""}`,
    );
  const list = await commands();
  process.stdout.write(shell === "bash" ? bash(list) : shell === "zsh" ? zsh(list) : fish(list));
  return EXIT.allowed;
}

type Commands = Awaited<ReturnType<typeof commands>>;

function bash(list: Commands): string {
  const cases = list.map((c) => `    ${c.name}) words="${[...c.sub, ...c.options].join(" ")}" ;;`).join("\n");
  return `# bash completion for celgate (celgate completion bash)
_celgate() {
  local cur words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${list.map((c) => c.name).join(" ")} --help --version" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
  esac
  if [[ "$cur" == -* ]] || [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -o filenames -F _celgate celgate
`;
}

function zsh(list: Commands): string {
  const described = list.map((c) => `    '${c.name}:${c.help.replace(/'/g, "")}'`).join("\n");
  const cases = list
    .map(
      (c) =>
        `    ${c.name}) _values '${c.name}' ${[...c.sub, ...c.options].map((w) => `'${w}'`).join(" ")} ;;`,
    )
    .join("\n");
  return `#compdef celgate
# zsh completion for celgate (celgate completion zsh)
_celgate() {
  local -a commands
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  if [[ "$words[CURRENT]" == -* ]] || (( CURRENT == 3 )); then
    case "$words[2]" in
${cases}
    esac
  fi
  _files
}
_celgate "$@"
`;
}

function fish(list: Commands): string {
  const lines = ["# fish completion for celgate (celgate completion fish)", "complete -c celgate -f"];
  for (const c of list) {
    lines.push(`complete -c celgate -n __fish_use_subcommand -a ${c.name} -d '${c.help.replace(/'/g, "")}'`);
    for (const s of c.sub)
      lines.push(`complete -c celgate -n '__fish_seen_subcommand_from ${c.name}' -a ${s}`);
    for (const o of c.options)
      lines.push(`complete -c celgate -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)} -F`);
  }
  return `${lines.join("\n")}\n`;
}
