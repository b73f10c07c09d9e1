import { MAX_MANIFEST_BYTES } from "@celgate/core/limits";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState, RangeSetBuilder, type Text } from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder as placeholderText,
  ViewPlugin,
  type ViewUpdate,
  WidgetType,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { useEffect, useRef, useState } from "react";
import { codePointLabel, codePointText, strayJoiners, visibleText } from "../lib/invisible.js";
import { celYaml } from "./cel-yaml.js";
import { type Marker, ProblemList } from "./code.js";

const language = StreamLanguage.define(celYaml);

/** The token drawn over an invisible character, as read-only pages show it (`⟨U+202E⟩`). */
function invisibleToken(code: number): HTMLElement {
  const span = document.createElement("span");
  span.className = "invisible-char";
  span.textContent = `⟨${codePointText(code)}⟩`;
  span.title = codePointLabel(code);
  span.setAttribute("aria-label", codePointLabel(code));
  return span;
}

/**
 * Invisible characters in the text are drawn as the tokens read-only pages show (`⟨U+202E⟩`),
 * without changing the text: CodeMirror's own set (controls, zero-width space, the marks, the
 * overrides and isolates it knows, the byte order mark...) and the embeddings, the first-strong
 * isolate, the invisible operators and the fillers it lacks. The joiners are not in this set: it
 * looks at one character at a time, and whether a joiner is marked depends on its neighbours
 * (strayJoiners, below).
 */
const specialChars = highlightSpecialChars({
  addSpecialChars: /[\u034F\u115F\u1160\u180E\u202A-\u202C\u2060-\u2064\u2068\u3164\uFFA0]/u,
  render: invisibleToken,
});

class JoinerToken extends WidgetType {
  constructor(readonly code: number) {
    super();
  }
  override eq(other: JoinerToken): boolean {
    return other.code === this.code;
  }
  toDOM(): HTMLElement {
    return invisibleToken(this.code);
  }
}

const JOINER_TOKENS = [new JoinerToken(0x200c), new JoinerToken(0x200d)].map((w) =>
  Decoration.replace({ widget: w }),
);

/** Decorations for the stray joiners of the lines on screen, each line read whole. */
function joinerTokens(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  let next = 1; // the first line not yet read: visible ranges may share one
  for (const { from, to } of view.visibleRanges) {
    const last = view.state.doc.lineAt(to).number;
    for (let n = Math.max(next, view.state.doc.lineAt(from).number); n <= last; n++) {
      const line = view.state.doc.line(n);
      for (const at of strayJoiners(line.text)) {
        const pos = line.from + at;
        builder.add(pos, pos + 1, JOINER_TOKENS[line.text.charCodeAt(at) - 0x200c]!);
      }
    }
    next = last + 1;
  }
  return builder.finish();
}

/**
 * The zero-width non-joiner and joiner drawn as tokens where read-only pages mark them, by the
 * same rule (lib/invisible.ts, after @celgate/core/joiners): one inside an emoji or inside a
 * word of a script written with them (Persian, Hindi...) stays as it is; one inside a Latin
 * identifier or a YAML key, doubled, between two scripts or at a word's end is shown. Only what
 * is drawn changes; the text, and so what is saved, stays as typed.
 */
const strayJoinerTokens = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = joinerTokens(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged || u.viewportChanged) this.decorations = joinerTokens(u.view);
    }
  },
  { decorations: (p) => p.decorations },
);

/** `33,554,432 (32 MiB)`: a limit as the refusals name it. */
const limitText = (n: number) =>
  `${n.toLocaleString("en-US")}${n % (1024 * 1024) === 0 ? ` (${n / (1024 * 1024)} MiB)` : ""}`;

/**
 * A dropped file's text: refused (the promise rejects, saying why) when its bytes are not UTF-8
 * or hold a NUL byte, as a picture's or an archive's do, and when it cannot be read.
 */
async function readDropped(file: File, maxLength: number): Promise<string> {
  // by its size, before a byte is read: a file of N bytes holds at most N UTF-16 code units, so
  // every file taken here is within the engine's own check of the text
  if (file.size > maxLength)
    throw new Error(
      `it is ${file.size.toLocaleString("en-US")} bytes, over the limit of ${limitText(maxLength)} bytes; split it into smaller files`,
    );
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (error) {
    throw new Error(`it could not be read (${error instanceof Error ? error.message : String(error)})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = "\0";
  }
  if (text.includes("\0")) throw new Error("it is not UTF-8 text (a picture or an archive?)");
  return text;
}

/** The range a marker underlines: from its line and column to the end of the word there. */
function rangeOf(doc: Text, m: Marker): { from: number; to: number } {
  const line = doc.line(Math.min(Math.max(1, m.line ?? 1), doc.lines));
  if (m.line === undefined) return { from: line.from, to: line.to };
  const from = line.from + Math.min(Math.max(0, (m.column ?? 1) - 1), line.length);
  const word = /^[\w.$-]+/.exec(line.text.slice(from - line.from))?.[0].length ?? 1;
  return { from, to: Math.min(line.to, from + Math.max(1, word)) };
}

function toDiagnostic(doc: Text, m: Marker): Diagnostic {
  return {
    ...rangeOf(doc, m),
    severity: "error",
    message: m.message,
    ...(m.code ? { source: m.code } : {}),
  };
}

// colours from the console's palette (styles.css), so light and dark follow the theme
const theme = EditorView.theme({
  "&": {
    backgroundColor: "var(--bg)",
    color: "var(--fg)",
    border: "1px solid var(--border)",
    borderRadius: "6px",
  },
  "&.cm-focused": { outline: "3px solid var(--accent)", outlineOffset: "2px" },
  ".cm-content": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    fontSize: "0.88rem",
    caretColor: "var(--fg)",
  },
  ".cm-gutters": {
    backgroundColor: "var(--bg-2)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "transparent" },
  "&.cm-focused .cm-activeLine": { backgroundColor: "var(--bg-2)" },
  ".cm-placeholder": { color: "var(--muted)" },
  ".cm-tooltip": { backgroundColor: "var(--bg)", color: "var(--fg)", border: "1px solid var(--border)" },
  ".cm-panels": { backgroundColor: "var(--bg-2)", color: "var(--fg)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--deny)" },
});

/**
 * A source editor (CodeMirror 6, bundled): YAML with CEL highlighted, line numbers, and each
 * marker underlined at its line and column with its message on hover, in the lint gutter, in
 * the lint panel (Ctrl-Shift-M; F8 goes to the next) and in the list below, where choosing one
 * puts the cursor there. Tab is not taken, so the keyboard leaves the editor as from a field.
 * A change that would make the text longer than `maxLength` UTF-16 code units (a paste, a drop;
 * the engine's MAX_MANIFEST_BYTES unless told) is refused before the editor takes it, saying
 * how long it would be and the limit: a text that long would freeze the page and the engine
 * would refuse it anyway.
 */
export function SourceEditor({
  id,
  label,
  value,
  onChange,
  markers = [],
  rows = 18,
  placeholder,
  maxLength = MAX_MANIFEST_BYTES,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  markers?: readonly Marker[];
  rows?: number;
  placeholder?: string;
  maxLength?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const attributes = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;
  // why the last dropped file was not taken ("" once one is)
  const [dropProblem, setDropProblem] = useState("");
  const refused = useRef(setDropProblem);
  const labelId = `${id}-label`;
  const problemsId = `${id}-problems`;

  const contentAttributes = (invalid: boolean) =>
    EditorView.contentAttributes.of({
      id,
      "aria-labelledby": labelId,
      "aria-invalid": invalid ? "true" : "false",
      ...(invalid ? { "aria-describedby": problemsId } : {}),
    });

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          lintGutter(),
          history(),
          drawSelection(),
          specialChars,
          strayJoinerTokens,
          highlightActiveLine(),
          language,
          syntaxHighlighting(classHighlighter),
          keymap.of([...defaultKeymap, ...historyKeymap, ...lintKeymap]),
          theme,
          EditorView.theme({ ".cm-content, .cm-gutter": { minHeight: `${rows * 1.4}em` } }),
          attributes.current.of(contentAttributes(false)),
          ...(placeholder ? [placeholderText(placeholder)] : []),
          // counted on the change set, before the new text is built or drawn
          EditorState.transactionFilter.of((tr) => {
            if (!tr.docChanged || tr.changes.newLength <= maxLength) return tr;
            refused.current(
              `The text was not taken: it would be ${tr.changes.newLength.toLocaleString("en-US")} characters, over the limit of ${limitText(maxLength)}; split it into smaller files.`,
            );
            return [];
          }),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged) return;
            refused.current("");
            changed.current(u.state.doc.toString());
          }),
          EditorView.domEventHandlers({
            dragover: (e) => {
              if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
              return false;
            },
            // a dropped file replaces the text, as pasting it would; one that is not text (a
            // picture, an archive dropped by mistake) is refused and the text stays
            drop: (e, editor) => {
              const file = e.dataTransfer?.files[0];
              if (!file) return false;
              e.preventDefault();
              readDropped(file, maxLength).then(
                (text) => {
                  refused.current("");
                  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
                },
                (error: unknown) =>
                  refused.current(
                    `${visibleText(file.name)} was not loaded: ${error instanceof Error ? error.message : String(error)}`,
                  ),
              );
              return true;
            },
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  // text set from outside (a policy loaded, "load theirs") replaces the editor's
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const current = v.state.doc.toString();
    if (current !== value) v.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(
      setDiagnostics(
        v.state,
        markers.map((m) => toDiagnostic(v.state.doc, m)),
      ),
    );
    v.dispatch({ effects: attributes.current.reconfigure(contentAttributes(markers.length > 0)) });
  }, [markers, id]);

  const goTo = (m: Marker) => {
    const v = view.current;
    if (!v || !m.line) return;
    const { from, to } = rangeOf(v.state.doc, m);
    v.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
    v.focus();
  };

  return (
    <div className="editor">
      <div className="editor-label" id={labelId}>
        {label}
      </div>
      <div className="source-editor" ref={host} />
      {dropProblem ? (
        <p className="error" role="alert">
          {dropProblem}
        </p>
      ) : null}
      <ProblemList
        id={problemsId}
        label={label}
        markers={markers}
        lines={value.split("\n")}
        onChoose={goTo}
      />
    </div>
  );
}
