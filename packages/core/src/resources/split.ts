/** One YAML document's text and where it is in the stream. */
export interface DocumentChunk {
  text: string;
  /** 1-based line of the chunk's first text line (the `---` line itself, when there is one). */
  line: number;
  /**
   * 1-based line where the document begins: its first non-blank line after the `---` marker
   * (a leading comment belongs to the document; the marker line itself only when content
   * follows it there). Resources point here, never at the `---`.
   */
  contentLine: number;
  index: number;
}

const SEPARATOR = /^---(?:[ \t].*)?$/;
const END = /^\.\.\.[ \t]*$/;

/**
 * Splits a multi-document YAML stream at `---` lines, keeping each document's first line, so a
 * syntax error in one document neither hides the others nor loses its position.
 *
 * A `---` line starts a document (what follows the marker on its line belongs to it, unless
 * it is a comment), a `...` line ends one; a trailing `\r` is dropped from every line. A
 * document with nothing but blank lines and comments is left out.
 */
export function splitYamlDocuments(text: string): DocumentChunk[] {
  // without a `\r`, each document's text is a slice of the input: no line is copied
  return text.includes("\r") ? splitByLines(text) : splitBySlices(text);
}

/** The definition: line by line, each document's lines joined again. */
export function splitByLines(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  const lines = text.split("\n");
  let start = 0;
  let buffer: string[] = [];
  const flush = (nextStart: number) => {
    if (buffer.some((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))) {
      const first = buffer.findIndex((l) => l.trim() !== "");
      chunks.push({
        text: buffer.join("\n"),
        line: start + 1,
        contentLine: start + first + 1,
        index: chunks.length,
      });
    }
    buffer = [];
    start = nextStart;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (SEPARATOR.test(line)) {
      flush(i);
      // content after `--- ` on the same line belongs to the document
      buffer.push(markerRest(line));
    } else if (END.test(line)) {
      flush(i + 1);
    } else {
      buffer.push(line);
    }
  }
  flush(lines.length);
  return chunks;
}

/** What a document's `---` line gives it: the text after the marker, or nothing for a comment. */
function markerRest(line: string): string {
  const rest = line.slice(3).trim();
  return rest.startsWith("#") ? "" : rest;
}

/**
 * The same chunks as splitByLines for a text without `\r`, in one pass over the text: lines
 * are found with indexOf, only those that begin with `---` or `...` are read as strings, and a
 * document's text is the slice of the input between its markers (after the marker line's own
 * text, when it has some).
 */
function splitBySlices(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  const length = text.length;
  // the document being gathered: its first line (0-based), the text its marker line gives
  // (undefined without a marker), where its own lines begin in the text, and what is known of
  // its lines so far (the first that is not blank, whether one is neither blank nor a comment)
  let start = 0;
  let head: string | undefined;
  let bodyStart = 0;
  let firstFilled = -1;
  let hasContent = false;
  const look = (line: number, from: number, to: number) => {
    if (hasContent) return;
    const kind = lineKind(text, from, to);
    if (kind === BLANK) return;
    if (firstFilled < 0) firstFilled = line - start;
    if (kind === CONTENT) hasContent = true;
  };
  const flush = (line: number, end: number, nextStart: number) => {
    if (hasContent) {
      let body: string;
      if (head === undefined) body = text.slice(bodyStart, end);
      else if (line > start + 1) body = `${head}\n${text.slice(bodyStart, end)}`;
      else body = head;
      chunks.push({
        text: body,
        line: start + 1,
        contentLine: start + firstFilled + 1,
        index: chunks.length,
      });
    }
    start = nextStart;
    head = undefined;
    firstFilled = -1;
    hasContent = false;
  };
  let line = 0;
  let from = 0;
  // the end of the last line before the current one (where a document ending here ends)
  let previousEnd = -1;
  for (;;) {
    const newline = text.indexOf("\n", from);
    const to = newline < 0 ? length : newline;
    const c = to - from >= 3 ? text.charCodeAt(from) : 0;
    let marker = 0;
    if (c === 45 /* - */ || c === 46 /* . */) {
      const candidate = text.slice(from, to);
      if (SEPARATOR.test(candidate)) marker = 1;
      else if (END.test(candidate)) marker = 2;
      if (marker === 1) {
        flush(line, previousEnd, line);
        head = markerRest(candidate);
        if (head !== "") {
          // the marker line's text is the document's first line
          firstFilled = 0;
          hasContent = true;
        }
        bodyStart = to + 1;
      } else if (marker === 2) {
        flush(line, previousEnd, line + 1);
        bodyStart = to + 1;
      }
    }
    if (marker === 0) look(line, from, to);
    if (newline < 0) break;
    previousEnd = to;
    from = newline + 1;
    line++;
  }
  flush(line + 1, length, line + 1);
  return chunks;
}

const BLANK = 0;
const COMMENT = 1;
const CONTENT = 2;

/** Whether text[from, to) is blank (white space as `trim` sees it), a comment, or content. */
function lineKind(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (isWhiteSpace(c)) continue;
    return c === 35 /* # */ ? COMMENT : CONTENT;
  }
  return BLANK;
}

/** The characters String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator). */
function isWhiteSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 5760 ||
    (c >= 8192 && c <= 8202) ||
    c === 8232 ||
    c === 8233 ||
    c === 8239 ||
    c === 8287 ||
    c === 12288 ||
    c === 65279
  );
}
