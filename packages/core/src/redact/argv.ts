/**
 * Credentials in a command line: a container's command and args, an exec probe or hook, each
 * simple command of a shell script. Finds what to replace; redact.ts replaces it. Pure.
 */
import {
  CREDENTIAL_NAME,
  FLAG_ALONE,
  FLAG_WITH_VALUE,
  HTPASSWD,
  PASSWORD_FLAGS,
  type PasswordFlags,
  SHELLS,
  SU_SHELLS,
  URL_WITH_PASSWORD,
} from "./rules.js";
import { parseShell, shellQuote, type Word } from "./shell.js";
import { credentialSpans } from "./text.js";

/** Text kept as it is, or a secret that becomes its marker. */
export type Part = string | { secret: string };

/** Replace [start, end) of a string by `parts`. */
export interface Edit {
  start: number;
  end: number;
  parts: Part[];
}

/** What to replace in one item: some edits of a string, or the whole item (any scalar). */
export type ItemEdits = Edit[] | "whole";

/** Shell scripts inside shell scripts are read this deep; deeper ones are secret whole. */
const MAX_SCRIPT_DEPTH = 8;
/**
 * Scripts longer than this are secret whole rather than read (reading costs a few
 * microseconds a word, on the thread that answers requests); inline scripts are far shorter.
 */
export const MAX_SCRIPT_LENGTH = 64 * 1024;

const SHELL_OPTIONS = /^-[A-Za-z]*c[A-Za-z]*$/;
const HTPASSWD_BATCH = /^-[A-Za-z]*b[A-Za-z]*$/;

/** The program an item names: its base name, lower case, without `.exe` (`/usr/bin/MySQL.exe` -> `mysql`). */
export function programName(item: string): string {
  return (item.split(/[\\/]/).at(-1) ?? "").toLowerCase().replace(/\.exe$/, "");
}

/** The program an image most likely runs: the last part of its repository (`curlimages/curl:8` -> `curl`). */
export function imageProgram(image: unknown): string | undefined {
  if (typeof image !== "string") return undefined;
  const repository = image.split("@")[0]!;
  const last = repository.slice(repository.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return programName(colon < 0 ? last : last.slice(0, colon));
}

/** Whether an item is a value rather than the next flag: a non-empty string not starting with `-`, or a number or boolean. */
function isValue(item: unknown): boolean {
  if (typeof item === "string") return item !== "" && !item.startsWith("-");
  return typeof item === "number" || typeof item === "boolean" || typeof item === "bigint";
}

const secretOf = (text: string, start: number, end: number): Edit => ({
  start,
  end,
  parts: [{ secret: text.slice(start, end) }],
});

/** credentialSpans as edits, shifted by `offset`. */
export function textEdits(text: string, offset = 0): Edit[] {
  return credentialSpans(text.slice(offset)).map((s) => secretOf(text, s.start + offset, s.end + offset));
}

/**
 * What is secret in a command line (`argv`, items of any type), by index:
 * - `--name=value` whose name looks like a credential (CREDENTIAL_NAME) or whose value is a URL
 *   with a password: the value; an item that is a URL with a password: the whole item;
 * - the item after a credential-named flag alone (`--password`, `hunter2`) unless it is a flag;
 * - the flags of PASSWORD_FLAGS after the program they belong to (`mysql -phunter2`,
 *   `redis-cli -a x`, `curl -u user:pw`), the last argument of `htpasswd -b`;
 * - the script after a shell's `-c` (`sh -c "…"`), read command by command by the same rules;
 * - in every other string, what credentialSpans finds (URL passwords, `NAME=value`, headers, …).
 * `program`: the program the line runs when its first item does not say (the image's). Never throws.
 */
export function argvEdits(argv: readonly unknown[], program?: string, depth = 0): Map<number, ItemEdits> {
  const out = new Map<number, ItemEdits>();
  let rule = program === undefined ? undefined : PASSWORD_FLAGS.get(program);
  let armed = rule !== undefined && rule.after === undefined;
  let htpasswd = program === HTPASSWD;
  let batch = false;
  let shell = program === undefined ? undefined : shellKind(program);
  let shellAt = -1;
  let sawC = false;
  let current = program;
  const whole = (i: number) => out.set(i, "whole");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (typeof a !== "string" || out.get(i) === "whole") continue;
    const name = programName(a);
    // a new program starts its own rules (not its own name again: `htpasswd -b /etc/htpasswd`)
    if (
      name !== current &&
      (PASSWORD_FLAGS.has(name) || name === HTPASSWD || shellKind(name) !== undefined)
    ) {
      current = name;
      rule = PASSWORD_FLAGS.get(name);
      armed = rule !== undefined && rule.after === undefined;
      htpasswd = name === HTPASSWD;
      batch = false;
      shell = shellKind(name);
      shellAt = i;
      sawC = false;
    }

    if (shell === "sh" && SHELL_OPTIONS.test(a)) sawC = true;
    else if (shell === "sh" && (a === "-o" || a === "+o")) i++;
    else if (shell === "sh" && i !== shellAt && !a.startsWith("-") && !a.startsWith("+")) {
      // the first operand: the script after -c, else a script file (`bash run.sh -c x` has no -c of its own)
      shell = undefined;
      if (sawC) {
        out.set(i, scriptEdits(a, depth + 1));
        continue;
      }
    } else if (shell === "su" && (a === "-c" || a === "--command") && typeof next === "string") {
      out.set(i + 1, scriptEdits(next, depth + 1));
      i++;
      continue;
    }

    if (rule?.after !== undefined && a === rule.after) armed = true;
    if (htpasswd && HTPASSWD_BATCH.test(a)) batch = true;

    const alone = FLAG_ALONE.exec(a);
    if (alone && CREDENTIAL_NAME.test(alone[1]!) && isValue(next)) whole(i + 1);
    if (armed && rule !== undefined) {
      if (rule.flags.includes(a)) {
        if (typeof next === "string" && isValue(next)) out.set(i + 1, [passwordOf(rule, a, next, 0)]);
        else if (isValue(next)) whole(i + 1);
        continue;
      }
      const short = rule.flags.find((f) => f.length === 2 && a.length > 2 && a.startsWith(f) && a[1] !== "-");
      if (short !== undefined) {
        out.set(i, [passwordOf(rule, short, a, 2)]);
        continue;
      }
    }

    const flag = FLAG_WITH_VALUE.exec(a);
    if (flag) {
      const at = flag[1]!.length;
      const programFlag = armed && rule?.flags.includes(flag[1]!.slice(0, -1)) === true;
      const credential = CREDENTIAL_NAME.test(flag[2]!) || URL_WITH_PASSWORD.test(flag[3]!);
      const edits =
        at === a.length
          ? []
          : programFlag
            ? [passwordOf(rule!, flag[1]!.slice(0, -1), a, at)]
            : credential
              ? [secretOf(a, at, a.length)]
              : textEdits(a, at);
      if (edits.length > 0) out.set(i, edits);
    } else if (URL_WITH_PASSWORD.test(a)) whole(i);
    else {
      const edits = textEdits(a);
      if (edits.length > 0) out.set(i, edits);
    }
  }
  if (batch)
    for (let i = argv.length - 1; i > 0; i--)
      if (isValue(argv[i])) {
        whole(i);
        break;
      }
  return out;
}

/**
 * The secret part of the value of a program's password flag, from `at` in `item`: after the
 * separator for a `user<separator>password` flag that has one (`-u user:pw`), else all of it.
 */
function passwordOf(rule: PasswordFlags, flag: string, item: string, at: number): Edit {
  if (rule.user?.flags.includes(flag)) {
    const sep = item.indexOf(rule.user.separator, at);
    if (sep >= 0 && sep + 1 < item.length) return secretOf(item, sep + 1, item.length);
  }
  return secretOf(item, at, item.length);
}

function shellKind(name: string): "sh" | "su" | undefined {
  return SHELLS.has(name) ? "sh" : SU_SHELLS.has(name) ? "su" : undefined;
}

/**
 * What is secret in a shell script, as edits of its text: each simple command's words by
 * argvEdits, here-document bodies by credentialSpans. A word whose secret cannot be cut out of
 * the script in place (it spans quotes or escapes) is rewritten whole, single-quoted around its
 * marker. A script that cannot be read, longer than MAX_SCRIPT_LENGTH, or nested deeper than 8
 * scripts, is secret whole.
 */
export function scriptEdits(script: string, depth: number): ItemEdits {
  if (depth > MAX_SCRIPT_DEPTH || script.length > MAX_SCRIPT_LENGTH) return "whole";
  const parsed = parseShell(script);
  if (parsed === null) return "whole";
  const edits: Edit[] = [];
  for (const command of parsed.commands)
    for (const [k, e] of argvEdits(
      command.map((w) => w.value),
      undefined,
      depth,
    ))
      edits.push(...wordEdits(command[k]!, e));
  for (const t of parsed.texts)
    for (const s of credentialSpans(script.slice(t.start, t.end)))
      edits.push(secretOf(script, t.start + s.start, t.start + s.end));
  return edits;
}

/** Edits of a word's value as edits of the script it came from. */
function wordEdits(word: Word, e: ItemEdits): Edit[] {
  const edits = e === "whole" ? [secretOf(word.value, 0, word.value.length)] : e;
  const inPlace = edits.every(
    (x) =>
      x.end > x.start &&
      word.map[x.end - 1]! - word.map[x.start]! === x.end - x.start - 1 &&
      x.parts.every((p) => typeof p !== "string"),
  );
  if (inPlace)
    return edits.map((x) => ({ start: word.map[x.start]!, end: word.map[x.end - 1]! + 1, parts: x.parts }));
  // Rewrite the word: its text outside the edits, and the literal parts of edits, quoted.
  const parts: Part[] = [];
  let literal = "";
  let at = 0;
  for (const x of [...edits].sort((p, q) => p.start - q.start)) {
    if (x.start < at) continue;
    literal += word.value.slice(at, x.start);
    for (const p of x.parts) {
      if (typeof p === "string") literal += p;
      else {
        if (literal !== "") parts.push(shellQuote(literal));
        literal = "";
        parts.push(p);
      }
    }
    at = x.end;
  }
  literal += word.value.slice(at);
  if (literal !== "") parts.push(shellQuote(literal));
  return [{ start: word.start, end: word.end, parts }];
}
