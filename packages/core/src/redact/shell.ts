/**
 * Enough of the POSIX shell grammar to find the words of each simple command in a script
 * (`sh -c "mysql -phunter2 db && curl -u a:b https://x"`), with where each character of a word
 * came from, so a secret inside a word can be replaced in the script's own text. Not an
 * interpreter: expansions are kept as written, keywords are words. Pure.
 */

/** One word: its value after quote removal, and for each character of it the index it came from. */
export interface Word {
  value: string;
  /** map[i] = the index in the script of value[i]. */
  map: number[];
  /** The word's text in the script, [start, end). */
  start: number;
  end: number;
}

export interface Script {
  /** The simple commands, in order, those inside `$(...)` and backquotes included. */
  commands: Word[][];
  /** Here-document bodies, [start, end) in the script: data, searched as free text. */
  texts: Array<{ start: number; end: number }>;
}

/** Nesting of `$(...)` and backquotes beyond this is refused. */
const MAX_NESTING = 32;

/**
 * The commands of a script, or null when it cannot be read (an unterminated quote or
 * substitution, nesting deeper than 32): the caller then treats the whole script as secret.
 * Never throws.
 */
export function parseShell(text: string): Script | null {
  const script: Script = { commands: [], texts: [] };
  try {
    const end = new Reader(text, script).list(null, 0);
    return end === text.length ? script : null;
  } catch (err) {
    if (err instanceof Unreadable) return null;
    throw err;
  }
}

class Unreadable extends Error {}

class Reader {
  i = 0;
  constructor(
    readonly text: string,
    readonly script: Script,
  ) {}

  /**
   * Reads commands up to `close` (`)` or a backquote; null: the end of the text) and returns
   * the index after it.
   */
  list(close: ")" | "`" | null, depth: number): number {
    if (depth > MAX_NESTING) throw new Unreadable();
    const t = this.text;
    let command: Word[] = [];
    let word: Word | null = null;
    let redirect = false; // the next word is a redirection's target, not an argument
    let heredocs: Array<{ delimiter: string; tabs: boolean }> = [];
    let heredocWord = false; // the next word is a here-document's delimiter
    let heredocTabs = false;
    const char = (c: string, at: number) => {
      word ??= { value: "", map: [], start: at, end: at };
      word.value += c;
      word.map.push(at);
    };
    const raw = (from: number, to: number) => {
      for (let k = from; k < to; k++) char(t[k]!, k);
    };
    const endWord = () => {
      if (word === null) return;
      word.end = this.i;
      if (heredocWord) {
        heredocs.push({ delimiter: word.value, tabs: heredocTabs });
        heredocWord = false;
      } else if (redirect) redirect = false;
      else command.push(word);
      word = null;
    };
    const endCommand = () => {
      endWord();
      if (command.length > 0) this.script.commands.push(command);
      command = [];
    };
    while (this.i < t.length) {
      const c = t[this.i]!;
      if (close !== null && c === close) {
        endCommand();
        return ++this.i;
      }
      if (c === " " || c === "\t") {
        endWord();
        this.i++;
      } else if (c === "\n") {
        endCommand();
        this.i++;
        if (heredocs.length > 0) {
          this.heredocBodies(heredocs);
          heredocs = [];
        }
      } else if (c === "#" && word === null) {
        while (this.i < t.length && t[this.i] !== "\n") this.i++;
      } else if (c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
        endCommand();
        this.i++;
      } else if (c === "<" || c === ">") {
        const w = word as Word | null;
        if (w !== null && /^\d+$/.test(w.value)) word = null; // a file descriptor (2>&1)
        endWord();
        const op = /^(?:<<-|<<<|<<|>>|>&|<&|>\||<>|<|>)/.exec(t.slice(this.i, this.i + 3))![0];
        this.i += op.length;
        if (op === "<<" || op === "<<-") {
          heredocWord = true;
          heredocTabs = op === "<<-";
        } else redirect = true;
      } else if (c === "\\") {
        if (t[this.i + 1] === "\n") this.i += 2;
        else {
          word ??= { value: "", map: [], start: this.i, end: this.i };
          if (this.i + 1 < t.length) char(t[this.i + 1]!, this.i + 1);
          this.i += 2;
        }
      } else if (c === "'") {
        const close = t.indexOf("'", this.i + 1);
        if (close < 0) throw new Unreadable();
        word ??= { value: "", map: [], start: this.i, end: this.i };
        raw(this.i + 1, close);
        this.i = close + 1;
      } else if (c === "$" && t[this.i + 1] === "'") {
        word ??= { value: "", map: [], start: this.i, end: this.i };
        this.i += 2;
        for (;;) {
          if (this.i >= t.length) throw new Unreadable();
          const d = t[this.i]!;
          if (d === "'") break;
          if (d === "\\" && this.i + 1 < t.length) {
            char(t[this.i + 1]!, this.i + 1);
            this.i += 2;
          } else char(d, this.i++);
        }
        this.i++;
      } else if (c === '"') {
        word ??= { value: "", map: [], start: this.i, end: this.i };
        this.i++;
        for (;;) {
          if (this.i >= t.length) throw new Unreadable();
          const d = t[this.i]!;
          if (d === '"') break;
          if (d === "\\" && this.i + 1 < t.length && '$`"\\\n'.includes(t[this.i + 1]!)) {
            if (t[this.i + 1] !== "\n") char(t[this.i + 1]!, this.i + 1);
            this.i += 2;
          } else if (d === "$" || d === "`") {
            const from = this.i;
            this.expansion(depth);
            raw(from, this.i);
          } else char(d, this.i++);
        }
        this.i++;
      } else if (c === "$" || c === "`") {
        const from = this.i;
        this.expansion(depth);
        raw(from, this.i);
      } else char(c, this.i++);
    }
    if (close !== null) throw new Unreadable();
    endCommand();
    if (heredocs.length > 0) this.heredocBodies(heredocs);
    return this.i;
  }

  /**
   * At a `$` or a backquote: moves past `$(...)` (its commands read too), `$((...))`, `${...}`,
   * a backquoted command, or a lone `$`.
   */
  expansion(depth: number): void {
    const t = this.text;
    if (t[this.i] === "`") {
      this.i++;
      this.list("`", depth + 1);
    } else if (t.startsWith("$((", this.i)) {
      this.i = this.balanced(this.i + 1, "(", ")");
    } else if (t.startsWith("$(", this.i)) {
      this.i += 2;
      this.list(")", depth + 1);
    } else if (t.startsWith("${", this.i)) {
      this.i = this.balanced(this.i + 1, "{", "}");
    } else this.i++;
  }

  /** The index after the bracket that closes the one at `at`. */
  balanced(at: number, open: string, close: string): number {
    let level = 0;
    for (let k = at; k < this.text.length; k++) {
      const c = this.text[k];
      if (c === "\\") k++;
      else if (c === open) level++;
      else if (c === close && --level === 0) return k + 1;
    }
    throw new Unreadable();
  }

  /** Reads the bodies of pending here-documents, from the current line on. */
  heredocBodies(heredocs: Array<{ delimiter: string; tabs: boolean }>): void {
    const t = this.text;
    for (const h of heredocs) {
      const start = this.i;
      let end = t.length;
      while (this.i < t.length) {
        const nl = t.indexOf("\n", this.i);
        const lineEnd = nl < 0 ? t.length : nl;
        const line = t.slice(this.i, lineEnd);
        if ((h.tabs ? line.replace(/^\t+/, "") : line) === h.delimiter) {
          end = this.i;
          this.i = nl < 0 ? t.length : nl + 1;
          break;
        }
        this.i = nl < 0 ? t.length : nl + 1;
      }
      if (end > start) this.script.texts.push({ start, end });
    }
  }
}

/** `value` as one shell word, single-quoted unless it needs no quoting. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
