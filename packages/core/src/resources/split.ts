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
 */
export function splitYamlDocuments(text: string): DocumentChunk[] {
  return [...yamlDocuments(text)];
}

/**
 * The documents of `splitYamlDocuments`, one at a time: only the document under way is held,
 * so that each can be parsed and let go before the next is cut out of a large input.
 */
export function* yamlDocuments(text: string): Generator<DocumentChunk, void, undefined> {
  let index = 0;
  let start = 0;
  let buffer: string[] = [];
  // the document ended by the last line seen, if it has content; yielded before going on
  let ready: DocumentChunk | undefined;
  const flush = (nextStart: number) => {
    if (buffer.some((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))) {
      const first = buffer.findIndex((l) => l.trim() !== "");
      ready = { text: buffer.join("\n"), line: start + 1, contentLine: start + first + 1, index: index++ };
    }
    buffer = [];
    start = nextStart;
  };
  // line by line, as text.split("\n") would give them, without holding every line of a large
  // input at once: only the lines of the document under way
  let i = 0;
  for (let from = 0; ; i++) {
    const end = text.indexOf("\n", from);
    const line = (end === -1 ? text.slice(from) : text.slice(from, end)).replace(/\r$/, "");
    if (SEPARATOR.test(line)) {
      flush(i);
      // content after `--- ` on the same line belongs to the document
      const rest = line.slice(3).trim();
      buffer.push(rest.startsWith("#") ? "" : rest);
    } else if (END.test(line)) {
      flush(i + 1);
    } else {
      buffer.push(line);
    }
    if (ready) {
      yield ready;
      ready = undefined;
    }
    if (end === -1) break;
    from = end + 1;
  }
  flush(i + 1);
  if (ready) yield ready;
}
