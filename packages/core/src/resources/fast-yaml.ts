import { MANIFEST_IMPLICIT_TYPES } from "./schema.js";

/**
 * A fast path for reading one YAML document: a small reader for the plain subset most
 * manifests are written in, which gives exactly the value `yaml.load(text, {schema:
 * MANIFEST_SCHEMA})` gives, or DECLINED for anything outside the subset, so that js-yaml reads
 * it (and reports its errors, lines and limits) as before.
 *
 * The subset: comments and blank lines; block mappings (plain or single-line quoted keys;
 * `key:` with a value on its line, a nested block below, an indentless sequence, or nothing);
 * block sequences (with `- key: value` compact mappings and `- - x`); single-line plain
 * scalars, typed by the schema's own implicit types; single-line quoted scalars without a
 * backslash; single-line flow mappings and sequences of those (nested). Declined: tabs, CR,
 * control, non-printable and surrogate characters, a byte order mark, anchors, aliases, tags,
 * block scalars, multi-line scalars and flow collections, explicit `?` keys, `<<` keys,
 * directives and document markers, duplicate keys, an indentation that is not one of the
 * open collections', empty flow values, pairs in flow sequences, and nesting near maxDepth.
 */

/** What loadFast returns when the text is outside its subset. */
export const DECLINED: unique symbol = Symbol("declined");

// a character anywhere in the text that sends it to js-yaml: tab and every control character
// but LF (CR included: js-yaml takes a lone CR as a line break), DEL and C1 controls, the
// Unicode line separators, any surrogate (js-yaml refuses lone ones), a byte order mark and
// the two non-characters js-yaml refuses
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what sends a text to js-yaml
const OUTSIDE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF\uFEFF\uFFFE\uFFFF]/;

const LF = 10;
const SPACE = 32;
const DQUOTE = 34;
const HASH = 35;
const SQUOTE = 39;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const QUESTION = 63;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Characters a plain scalar may not begin with (js-yaml's readPlainScalar), by code. */
const NOT_PLAIN_START = new Uint8Array(128);
for (const c of ",[]{}#&*!|>'\"%@`") NOT_PLAIN_START[c.charCodeAt(0)] = 1;

/**
 * First characters of a plain scalar that one of the implicit types may accept (go-yaml v2's,
 * kubectl-scalars.ts): null (`~`, `null`, `Null`, `NULL`), bool (`true`, `yes`, `on`, `y`,
 * `false`, `no`, `off`, `n` in their cases), int (a sign or a digit first) and float (a sign, a
 * digit or `.` first). Any other plain scalar is a string.
 */
const MAY_BE_TYPED = new Uint8Array(128);
for (const c of "~nNtTfFyYoO+-.0123456789") MAY_BE_TYPED[c.charCodeAt(0)] = 1;

// the types this reader was written against, in js-yaml's order; any other schema turns the
// fast path off rather than guess
const EXPECTED_TAGS = ["null", "bool", "int", "float", "merge"].map((t) => `tag:yaml.org,2002:${t}`);
const ENABLED =
  MANIFEST_IMPLICIT_TYPES.length === EXPECTED_TAGS.length &&
  MANIFEST_IMPLICIT_TYPES.every((t, i) => t.tag === EXPECTED_TAGS[i]);

const hasOwn = Object.prototype.hasOwnProperty;

/** Thrown inside the reader to give up; caught in loadFast, never escapes. */
const DECLINE = new Error("declined");

/**
 * The value of a plain scalar as js-yaml types it with MANIFEST_SCHEMA: the first implicit type
 * that resolves the text constructs it, else the text itself. Never throws.
 */
export function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  if (c < 128 && MAY_BE_TYPED[c] === 1) {
    for (const type of MANIFEST_IMPLICIT_TYPES) if (type.resolve(text)) return type.construct(text);
  }
  return text;
}

/**
 * Reads one YAML document (a chunk of splitYamlDocuments) as js-yaml would with
 * MANIFEST_SCHEMA and this maxDepth, or returns DECLINED when the text is outside the subset
 * described above (js-yaml then reads it). Never throws.
 */
export function loadFast(text: string, maxDepth: number): unknown {
  if (!ENABLED || OUTSIDE.test(text)) return DECLINED;
  try {
    return new Reader(text, maxDepth).document();
  } catch {
    // DECLINE, or anything unforeseen (a deep recursion, say): js-yaml decides
    return DECLINED;
  }
}

class Reader {
  private readonly src: string;
  private readonly length: number;
  /** Collections nested deeper than this are declined, well before js-yaml's maxDepth. */
  private readonly maxNesting: number;
  private pos = 0;
  /** The current content line: where it starts and ends, and its indentation. */
  private lineStart = 0;
  private lineEnd = 0;
  private indent = 0;
  private eof = false;

  constructor(src: string, maxDepth: number) {
    this.src = src;
    this.length = src.length;
    // js-yaml counts a level per node it composes: one per collection, plus at most two more
    // at the leaves (a scalar read as a would-be key) and where flow begins inside a block
    this.maxNesting = Math.floor((maxDepth - 4) / 2);
  }

  document(): unknown {
    this.nextContent(0);
    if (this.eof) throw DECLINE;
    const value = this.blockNode(this.indent, 0);
    if (!this.eof) throw DECLINE;
    return value;
  }

  private code(p: number): number {
    return this.src.charCodeAt(p);
  }

  /** Whether p is past the line's text or at a space (js-yaml's white space or end of line). */
  private spaceOrEnd(p: number): boolean {
    return p >= this.lineEnd || this.src.charCodeAt(p) === SPACE;
  }

  private skipSpaces(): void {
    while (this.pos < this.lineEnd && this.src.charCodeAt(this.pos) === SPACE) this.pos++;
  }

  /**
   * Moves to the first line at or after `from` (a line start, or the end of a line) that is
   * neither blank nor a comment: sets pos to its first character, its indentation and end; or
   * eof. Declines document markers and directives at the start of a line.
   */
  private nextContent(from: number): void {
    const src = this.src;
    let p = from;
    if (p < this.length && src.charCodeAt(p) === LF) p++;
    while (p < this.length) {
      const start = p;
      while (src.charCodeAt(p) === SPACE) p++;
      if (p >= this.length) break;
      const c = src.charCodeAt(p);
      if (c === LF) {
        p++;
        continue;
      }
      if (c === HASH) {
        const end = src.indexOf("\n", p);
        if (end < 0) break;
        p = end + 1;
        continue;
      }
      if (p === start && (c === DASH || c === 46) /* . */) {
        // `---` or `...` at the start of a line may end the document (also `---x`: declined)
        if (src.charCodeAt(p + 1) === c && src.charCodeAt(p + 2) === c) throw DECLINE;
      }
      if (p === start && c === 37 /* % */) throw DECLINE;
      const end = src.indexOf("\n", p);
      this.lineStart = start;
      this.lineEnd = end < 0 ? this.length : end;
      this.indent = p - start;
      this.pos = p;
      return;
    }
    this.eof = true;
    this.pos = this.length;
  }

  /** After a value: nothing but spaces and a comment (after a space) may follow on its line. */
  private endValueLine(): void {
    const before = this.pos;
    this.skipSpaces();
    if (this.pos < this.lineEnd && (this.code(this.pos) !== HASH || this.pos === before)) throw DECLINE;
    this.nextContent(this.lineEnd);
  }

  /**
   * A node that begins at pos, column `col`, in block context: a sequence (`- `), a mapping
   * (its first key is on this line), or a single-line scalar or flow collection. Leaves the
   * reader at the next content line.
   */
  private blockNode(col: number, depth: number): unknown {
    const c = this.code(this.pos);
    if (c === DASH && this.spaceOrEnd(this.pos + 1)) return this.blockSequence(col, depth + 1);
    if (c === SQUOTE || c === DQUOTE) {
      const text = this.quoted(c);
      const after = this.pos;
      this.skipSpaces();
      if (this.code(this.pos) === COLON && this.spaceOrEnd(this.pos + 1)) {
        this.pos++;
        return this.blockMapping(col, text, depth + 1);
      }
      this.pos = after;
      this.endValueLine();
      return text;
    }
    if (c === LBRACKET || c === LBRACE) return this.flowOnLine(depth + 1);
    const text = this.plain();
    if (this.pos < this.lineEnd && this.code(this.pos) === COLON) {
      this.pos++;
      return this.blockMapping(col, keyOf(text), depth + 1);
    }
    this.endValueLine();
    return resolvePlain(text);
  }

  /** A block mapping at column col; pos is just past its first key's `:`. */
  private blockMapping(col: number, firstKey: string, depth: number): Record<string, unknown> {
    if (depth > this.maxNesting) throw DECLINE;
    const object: Record<string, unknown> = {};
    let key = firstKey;
    for (;;) {
      put(object, key, this.mappingValue(col, depth));
      if (this.eof || this.indent < col) return object;
      if (this.indent > col) throw DECLINE;
      key = this.blockKey();
    }
  }

  /** A key of a block mapping and its `:` (followed by a space or the line's end). */
  private blockKey(): string {
    const c = this.code(this.pos);
    let key: string;
    if (c === SQUOTE || c === DQUOTE) {
      key = this.quoted(c);
      this.skipSpaces();
    } else {
      key = keyOf(this.plain());
    }
    if (this.code(this.pos) !== COLON || this.pos >= this.lineEnd || !this.spaceOrEnd(this.pos + 1))
      throw DECLINE;
    this.pos++;
    return key;
  }

  /** The value after a block mapping's `key:` (pos just past the `:`). */
  private mappingValue(col: number, depth: number): unknown {
    this.skipSpaces();
    if (this.pos >= this.lineEnd || this.code(this.pos) === HASH) {
      this.nextContent(this.lineEnd);
      if (this.eof) return null;
      if (this.indent > col) return this.blockNode(this.indent, depth);
      // `key:` then `- item` at the key's own indentation: an indentless sequence
      if (this.indent === col && this.code(this.pos) === DASH && this.spaceOrEnd(this.pos + 1))
        return this.blockSequence(col, depth + 1);
      return null;
    }
    const c = this.code(this.pos);
    if (c === SQUOTE || c === DQUOTE) {
      const text = this.quoted(c);
      this.endValueLine();
      return text;
    }
    if (c === LBRACKET || c === LBRACE) return this.flowOnLine(depth + 1);
    const text = this.plain();
    // `a: b: c` (js-yaml: bad indentation of a mapping entry)
    if (this.pos < this.lineEnd && this.code(this.pos) === COLON) throw DECLINE;
    this.endValueLine();
    return resolvePlain(text);
  }

  /** A block sequence at column col; pos is at its first `-`. */
  private blockSequence(col: number, depth: number): unknown[] {
    if (depth > this.maxNesting) throw DECLINE;
    const items: unknown[] = [];
    for (;;) {
      this.pos++;
      this.skipSpaces();
      if (this.pos >= this.lineEnd || this.code(this.pos) === HASH) {
        this.nextContent(this.lineEnd);
        if (!this.eof && this.indent > col) items.push(this.blockNode(this.indent, depth));
        else {
          // after an empty entry js-yaml takes the next `-` as this sequence's, at any
          // indentation (`  -\n- x` is one sequence of two): js-yaml decides
          if (!this.eof && this.indent < col && this.code(this.pos) === DASH && this.spaceOrEnd(this.pos + 1))
            throw DECLINE;
          items.push(null);
        }
      } else {
        items.push(this.blockNode(this.pos - this.lineStart, depth));
      }
      if (this.eof || this.indent < col) return items;
      if (this.indent > col) throw DECLINE;
      // another entry, or (an indentless sequence) the next key of the mapping around it
      if (this.code(this.pos) !== DASH || !this.spaceOrEnd(this.pos + 1)) return items;
    }
  }

  /**
   * A plain scalar in block context on this line, as js-yaml's readPlainScalar reads it: up to
   * a `:` before a space or the line's end, a ` #`, or the line's end; trailing spaces are not
   * part of it. Leaves pos at that `:` when it stopped at one, else just past the text.
   */
  private plain(): string {
    const src = this.src;
    const start = this.pos;
    const c = src.charCodeAt(start);
    if (c < 128 && NOT_PLAIN_START[c] === 1) throw DECLINE;
    if ((c === DASH || c === QUESTION) && this.spaceOrEnd(start + 1)) throw DECLINE;
    const lineEnd = this.lineEnd;
    let end = start;
    let p = start;
    for (; p < lineEnd; p++) {
      const d = src.charCodeAt(p);
      if (d === COLON) {
        if (p + 1 >= lineEnd || src.charCodeAt(p + 1) === SPACE) break;
      } else if (d === HASH) {
        if (src.charCodeAt(p - 1) === SPACE) break;
      }
      if (d !== SPACE) end = p + 1;
    }
    if (end === start) throw DECLINE;
    this.pos = p < lineEnd && src.charCodeAt(p) === COLON ? p : end;
    return src.slice(start, end);
  }

  /** A quoted scalar that ends on its line (no backslash in a double-quoted one). */
  private quoted(quote: number): string {
    const src = this.src;
    const lineEnd = this.lineEnd;
    let p = this.pos + 1;
    if (quote === DQUOTE) {
      const start = p;
      for (; p < lineEnd; p++) {
        const d = src.charCodeAt(p);
        if (d === DQUOTE) break;
        if (d === BACKSLASH) throw DECLINE;
      }
      if (p >= lineEnd) throw DECLINE;
      this.pos = p + 1;
      return src.slice(start, p);
    }
    let text = "";
    let start = p;
    for (;;) {
      const q = src.indexOf("'", p);
      if (q < 0 || q >= lineEnd) throw DECLINE;
      if (src.charCodeAt(q + 1) === SQUOTE) {
        // `''` is one quote
        text += src.slice(start, q + 1);
        p = q + 2;
        start = p;
        continue;
      }
      this.pos = q + 1;
      return text + src.slice(start, q);
    }
  }

  /** A flow collection that is the rest of its line's value (pos at its `[` or `{`). */
  private flowOnLine(depth: number): unknown {
    const value = this.flow(depth);
    this.endValueLine();
    return value;
  }

  /** A flow mapping or sequence that closes on its line (pos at its `{` or `[`). */
  private flow(depth: number): unknown {
    if (depth > this.maxNesting) throw DECLINE;
    const src = this.src;
    const isMapping = src.charCodeAt(this.pos) === LBRACE;
    const terminator = isMapping ? RBRACE : RBRACKET;
    const object: Record<string, unknown> = {};
    const items: unknown[] = [];
    let readNext = true;
    this.pos++;
    for (;;) {
      this.skipSpaces();
      if (this.pos >= this.lineEnd) throw DECLINE;
      const c = src.charCodeAt(this.pos);
      if (c === terminator) {
        this.pos++;
        return isMapping ? object : items;
      }
      if (!readNext || c === COMMA || c === HASH) throw DECLINE;
      if (isMapping) {
        let key: string;
        if (c === SQUOTE || c === DQUOTE) key = this.quoted(c);
        else if (c === LBRACKET || c === LBRACE) throw DECLINE;
        else key = keyOf(this.flowPlain());
        this.skipSpaces();
        if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== COLON) throw DECLINE;
        this.pos++;
        this.skipSpaces();
        const v = this.pos < this.lineEnd ? src.charCodeAt(this.pos) : COMMA;
        // `{a: }` or `{a:, b: c}` (an empty value, null) and a comment: js-yaml decides
        if (v === COMMA || v === RBRACE || v === HASH) throw DECLINE;
        put(object, key, this.flowNode(depth));
      } else {
        items.push(this.flowNode(depth));
        this.skipSpaces();
        // `[a: b]` is a sequence of a one-pair mapping: js-yaml decides
        if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === COLON) throw DECLINE;
      }
      this.skipSpaces();
      if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === COMMA) {
        readNext = true;
        this.pos++;
      } else {
        readNext = false;
      }
    }
  }

  /** A value inside a flow collection: quoted, a nested flow collection, or plain. */
  private flowNode(depth: number): unknown {
    const c = this.code(this.pos);
    if (c === SQUOTE || c === DQUOTE) return this.quoted(c);
    if (c === LBRACKET || c === LBRACE) return this.flow(depth + 1);
    return resolvePlain(this.flowPlain());
  }

  /**
   * A plain scalar inside a flow collection: as in block context, but it also ends at a flow
   * indicator, and a `:` ends it before one too. Leaves pos just past the text.
   */
  private flowPlain(): string {
    const src = this.src;
    const start = this.pos;
    const lineEnd = this.lineEnd;
    const c = src.charCodeAt(start);
    if (c < 128 && NOT_PLAIN_START[c] === 1) throw DECLINE;
    if (
      (c === DASH || c === QUESTION) &&
      (this.spaceOrEnd(start + 1) || isFlowIndicator(src.charCodeAt(start + 1)))
    )
      throw DECLINE;
    let end = start;
    for (let p = start; p < lineEnd; p++) {
      const d = src.charCodeAt(p);
      if (d === COLON) {
        if (p + 1 >= lineEnd) break;
        const e = src.charCodeAt(p + 1);
        if (e === SPACE || isFlowIndicator(e)) break;
      } else if (d === HASH) {
        if (src.charCodeAt(p - 1) === SPACE) break;
      } else if (isFlowIndicator(d)) {
        break;
      }
      if (d !== SPACE) end = p + 1;
    }
    if (end === start) throw DECLINE;
    this.pos = end;
    return src.slice(start, end);
  }
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/** A plain key as js-yaml stores it: typed, then made a string (`1: a` has the key "1"). */
function keyOf(text: string): string {
  // `<<` is a merge key: js-yaml merges, and parse.ts checks that readers agree on it
  if (text === "<<") throw DECLINE;
  return String(resolvePlain(text));
}

/** Sets a key as js-yaml does (`__proto__` as an own property); a key given twice declines. */
function put(object: Record<string, unknown>, key: string, value: unknown): void {
  if (hasOwn.call(object, key)) throw DECLINE;
  if (key === "__proto__")
    Object.defineProperty(object, key, { configurable: true, enumerable: true, writable: true, value });
  else object[key] = value;
}
