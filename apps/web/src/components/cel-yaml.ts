import type { StreamParser, StringStream } from "@codemirror/language";

/**
 * A streaming tokenizer (CodeMirror's StreamLanguage) for celgate documents: YAML, with the
 * values of CEL keys (`expression`, `messageExpression`, `condition`, any `...Expression`)
 * tokenized as CEL, whether written plain, quoted or as a block scalar. Token names are
 * @lezer/highlight tags, so `classHighlighter` gives them `tok-*` classes (styles.css).
 */

interface State {
  /** Inside a quoted YAML string that holds CEL: its quote. */
  quote: '"' | "'" | null;
  /** The next character opens that string. */
  opening: boolean;
  /** Inside a block scalar that holds CEL: the indentation of its key. */
  block: number | null;
  /** The rest of this line is a plain (unquoted) CEL value. */
  plain: boolean;
  /** This line is part of the block scalar. */
  inBlock: boolean;
}

const CEL_KEY = /^(expression|messageExpression|condition|\w+Expression)$/;
const KEYWORDS = new Set(["in", "true", "false", "null"]);
const ROOTS = new Set([
  "object",
  "oldObject",
  "params",
  "request",
  "namespaceObject",
  "variables",
  "images",
  "image",
  "context",
  "now",
]);

/** One CEL token, never past `stop` (the closing quote of the YAML string around it). */
function celToken(stream: StringStream, stop: string | null): string | null {
  if (stream.eatSpace()) return null;
  const ch = stream.peek()!;
  if ((ch === '"' || ch === "'") && ch !== stop) {
    stream.next();
    while (!stream.eol()) {
      const c = stream.next();
      if (c === "\\") stream.next();
      else if (c === ch) break;
      else if (stream.peek() === stop) break;
    }
    return "string";
  }
  if (stream.match(/^\d+(\.\d+)?([eE][+-]?\d+)?[uU]?/)) return "number";
  const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
  if (word) {
    const w = word[0];
    if (w === "true" || w === "false") return "bool";
    if (KEYWORDS.has(w)) return "keyword";
    if (ROOTS.has(w)) return "atom";
    // a call: a macro or a function
    if (stream.peek() === "(") return "keyword";
    return "variableName";
  }
  if (stream.match(/^(&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.])/)) return "operator";
  stream.next();
  return null;
}

export const celYaml: StreamParser<State> = {
  name: "celgate-yaml",
  startState: () => ({ quote: null, opening: false, block: null, plain: false, inBlock: false }),
  copyState: (s) => ({ ...s }),
  token(stream, state) {
    if (stream.sol()) {
      state.plain = false;
      state.inBlock = false;
      if (state.block !== null) {
        const blank = stream.match(/^\s*$/, false);
        if (blank || stream.indentation() > state.block) state.inBlock = true;
        else state.block = null;
      }
    }
    if (state.quote) {
      if (state.opening) {
        stream.next();
        state.opening = false;
        return "string";
      }
      if (stream.peek() === state.quote) {
        stream.next();
        // '' is an escaped quote inside a single-quoted YAML string
        if (state.quote === "'" && stream.peek() === "'") {
          stream.next();
          return "string";
        }
        state.quote = null;
        return "string";
      }
      return celToken(stream, state.quote);
    }
    if (state.inBlock || state.plain) {
      if (state.plain && stream.match(/^\s+#.*/)) return "comment";
      return celToken(stream, null);
    }
    if (stream.eatSpace()) return null;
    if (stream.peek() === "#") {
      stream.skipToEnd();
      return "comment";
    }
    const key = stream.match(/^(-\s+)?([\w./-]+)(?=:(\s|$))/) as RegExpMatchArray | null;
    if (key) {
      if (CEL_KEY.test(key[2]!)) {
        // the key's own column: a block scalar's lines are indented past it
        const indent = stream.column() + (key[1]?.length ?? 0);
        stream.match(/^:\s*/);
        const next = stream.peek();
        if (next === '"' || next === "'") {
          state.quote = next;
          state.opening = true;
        } else if (next === "|" || next === ">") state.block = indent;
        else if (next !== undefined && next !== "#") state.plain = true;
      }
      return "propertyName";
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^']|'')*'?/)) return "string";
    if (stream.match(/^-?\d+(\.\d+)?(?=[\s,\]}]|$)/)) return "number";
    if (stream.match(/^(true|false|null)(?=[\s,\]}]|$)/)) return "bool";
    if (stream.match(/^[|>][-+]?\d*/)) return "operator";
    stream.next();
    stream.eatWhile(/[^\s,[\]{}#:]/);
    return null;
  },
};
