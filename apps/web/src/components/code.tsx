import { Fragment, type ReactNode } from "react";
import { visibleText } from "../lib/invisible.js";
import { Literal } from "./literal.js";

/** A position-bearing problem to show in an editor: 1-based line and column. */
export interface Marker {
  line?: number | undefined;
  column?: number | undefined;
  message: string;
  code?: string | undefined;
}

// A small tokenizer for YAML with CEL inside: comments, keys, strings, numbers, CEL words.
const TOKEN =
  /(#.*$)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(^\s*-?\s*[\w.-]+(?=:\s|:$))|(\b(?:true|false|null|in|has|all|exists|exists_one|map|filter|size|matches|startsWith|endsWith|contains|orValue)\b)|(\b\d+(?:\.\d+)?\b)/gm;
const CLASS = ["", "tok-comment", "tok-string", "tok-key", "tok-keyword", "tok-number"];

/** Highlighted text: pieces wrapped in spans by kind, invisible characters shown as tokens. */
export function highlight(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    const kind = m.slice(1).findIndex((g) => g !== undefined) + 1;
    if (m.index > last) out.push(<Literal key={i++} text={text.slice(last, m.index)} />);
    out.push(
      <span key={i++} className={CLASS[kind]}>
        <Literal text={m[0]} />
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(<Literal key={i++} text={text.slice(last)} />);
  return out;
}

/** Read-only source with line numbers and highlighting. */
export function CodeView({ text, label }: { text: string; label: string }) {
  const lines = text.split("\n");
  return (
    <section className="code-wrap" aria-label={visibleText(label)}>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <pre className="code" tabIndex={0}>
        {lines.map((line, n) => (
          <Fragment key={n}>
            <span className="ln" aria-hidden="true">
              {n + 1}
            </span>
            {highlight(line)}
            {"\n"}
          </Fragment>
        ))}
      </pre>
    </section>
  );
}

/**
 * An editor's problems, each at its line and column with the source line and a caret; choosing
 * one calls `onChoose` (the editor puts the cursor there). Nothing when there are none.
 */
export function ProblemList({
  id,
  label,
  markers,
  lines,
  onChoose,
}: {
  id: string;
  label: string;
  markers: readonly Marker[];
  lines: readonly string[];
  onChoose: (m: Marker) => void;
}) {
  if (!markers.length) return null;
  return (
    <ul className="problems" id={id} aria-label={`Problems in ${label}`}>
      {markers.map((m, i) => (
        <li key={i}>
          <button type="button" className="link" onClick={() => onChoose(m)} disabled={!m.line}>
            {m.line ? `line ${m.line}${m.column ? `, column ${m.column}` : ""}` : "document"}
          </button>
          : <Literal text={m.message} />
          {m.code ? (
            <span className="muted">
              {" "}
              (<Literal text={m.code} />)
            </span>
          ) : null}
          {m.line && lines[m.line - 1] !== undefined ? (
            <Caret line={lines[m.line - 1]!} column={m.column} />
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/**
 * A source line and a caret under a column. The line's invisible characters are written as
 * their tokens, as text, so that the caret counts them as it sees them and stays under its column.
 */
function Caret({ line, column = 1 }: { line: string; column?: number | undefined }) {
  const at = Math.max(0, column - 1);
  // a column past the line's end keeps its distance from the end
  const width = visibleText(line.slice(0, at)).length + Math.max(0, at - line.length);
  return (
    <pre className="caret" aria-hidden="true">
      {`${visibleText(line)}\n${" ".repeat(width)}^`}
    </pre>
  );
}
