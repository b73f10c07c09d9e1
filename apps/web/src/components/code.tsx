import { Fragment, type ReactNode, useRef } from "react";

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

/** Highlighted text: pieces wrapped in spans by kind. */
export function highlight(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    const kind = m.slice(1).findIndex((g) => g !== undefined) + 1;
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(
      <span key={i++} className={CLASS[kind]}>
        {m[0]}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Read-only source with line numbers and highlighting. */
export function CodeView({ text, label }: { text: string; label: string }) {
  const lines = text.split("\n");
  return (
    <section className="code-wrap" aria-label={label}>
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

/** Offset of a 1-based line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  const lines = text.split("\n");
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  return offset + Math.max(0, column - 1);
}

/**
 * A plain-text editor (a textarea) with its problems listed under it, each at its line and
 * column with the source line and a caret; choosing one puts the cursor there.
 */
export function Editor({
  id,
  label,
  value,
  onChange,
  markers = [],
  rows = 18,
  placeholder,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  markers?: readonly Marker[];
  rows?: number;
  placeholder?: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split("\n");
  const goTo = (m: Marker) => {
    const el = area.current;
    if (!el || !m.line) return;
    const at = offsetOf(value, m.line, m.column ?? 1);
    el.focus();
    el.setSelectionRange(at, at + 1);
  };
  return (
    <div className="editor">
      <label htmlFor={id}>{label}</label>
      <div className="editor-body">
        {/* line numbers, with a mark on each line that has a problem (the list below says which) */}
        <div className="gutter" ref={gutter} aria-hidden="true">
          {lines.map((_, n) => {
            const here = markers.filter((m) => m.line === n + 1);
            return (
              <div
                key={n}
                className={here.length ? "gutter-line has-problem" : "gutter-line"}
                title={here.map((m) => m.message).join("\n") || undefined}
              >
                {here.length ? "● " : ""}
                {n + 1}
              </div>
            );
          })}
        </div>
        <textarea
          id={id}
          ref={area}
          value={value}
          rows={rows}
          spellCheck={false}
          wrap="off"
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          placeholder={placeholder}
          aria-invalid={markers.length > 0}
          aria-describedby={markers.length ? `${id}-problems` : undefined}
          onChange={(e) => onChange(e.target.value)}
          onDragOver={(e) => e.preventDefault()}
          onDrop={async (e) => {
            const file = e.dataTransfer.files[0];
            if (!file) return;
            e.preventDefault();
            onChange(await file.text());
          }}
        />
      </div>
      <ProblemList id={`${id}-problems`} label={label} markers={markers} lines={lines} onChoose={goTo} />
    </div>
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
          : {m.message}
          {m.code ? <span className="muted"> ({m.code})</span> : null}
          {m.line && lines[m.line - 1] !== undefined ? (
            <pre className="caret" aria-hidden="true">
              {`${lines[m.line - 1]}\n${" ".repeat(Math.max(0, (m.column ?? 1) - 1))}^`}
            </pre>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
