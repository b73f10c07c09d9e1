import { type Document, isMap, isNode, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import {
  checkValue,
  DEFAULT_INPUT_LIMITS,
  type InputLimits,
  limitDiagnostic,
  limitViolation,
} from "../limits/limits.js";
import { depthCrossing } from "./nesting.js";

/** One YAML (or JSON) document of a source file, with a way back from paths to positions. */
export interface SourceDocument {
  index: number;
  value: unknown;
  /**
   * 1-based line and column of a value (or its key) inside the document, best effort; with
   * `part: "key"`, of the key of the path's last mapping entry.
   */
  position(path: readonly (string | number)[], part?: "key"): SourcePosition | undefined;
}

export interface SourcePosition {
  line: number;
  column: number;
  sourceLine: string;
  /** The YAML scalar style of the value there (PLAIN, QUOTE_DOUBLE, BLOCK_LITERAL...), when it is a scalar. */
  scalarType?: string;
}

/**
 * Splits text into documents and keeps every node's position, for small files that want exact
 * error positions (policies, exceptions, tests). Syntax errors come back as diagnostics; a
 * broken document is skipped while the others are still returned. Documents over the input
 * limits (the `yaml` package's own alias count, then checkValue) are refused like broken ones.
 * Never throws.
 */
export function parseSourceDocuments(
  text: string,
  file?: string,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): { documents: SourceDocument[]; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const lines = text.split(/\r?\n/);
  const diagnostics: Diagnostic[] = [];
  const documents: SourceDocument[] = [];
  const locate = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, sourceLine: lines[line - 1] ?? "" };
  };
  /** Where the document crosses the depth limit (nesting.ts), read from the start of its first line. */
  const crossingIn = (doc: Document.Parsed) => {
    const range = doc.range ?? doc.contents?.range;
    if (!range) return undefined;
    const from = text.lastIndexOf("\n", range[0] - 1) + 1;
    const offset = depthCrossing(text.slice(from, range[2]), limits.maxDepth);
    return offset === undefined ? undefined : locate(from + offset);
  };
  // Text nested past the limit is refused before the yaml package reads it: its parser and
  // composer take seconds and a gigabyte for a few megabytes of nesting (js-yaml stops one level
  // past the limit, in milliseconds), and overflow their stack on deep block collections
  const tooDeep = depthCrossing(text, limits.maxDepth);
  if (tooDeep !== undefined) {
    const before = text.slice(0, tooDeep);
    const lineStart = before.lastIndexOf("\n") + 1;
    const line = before.split("\n").length;
    diagnostics.push(
      limitDiagnostic(limitViolation("maxDepth", limits, "", "nested too deeply"), {
        file,
        line,
        column: tooDeep - lineStart + 1,
      }),
    );
    return { documents, diagnostics };
  }
  let parsed: Document.Parsed[];
  try {
    parsed = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
    }) as Document.Parsed[];
  } catch (error) {
    // block collections nested some thousand levels overflow the yaml package's parser itself:
    // said as the depth limit it is, where the limit is crossed, as a document too deep to compose
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      const offset = depthCrossing(text, limits.maxDepth);
      diagnostics.push(
        limitDiagnostic(limitViolation("maxDepth", limits, "", "nested too deeply to parse"), {
          file,
          ...(offset === undefined ? {} : locate(offset)),
        }),
      );
      return { documents, diagnostics };
    }
    diagnostics.push({ code: "yaml-syntax", message: `cannot parse: ${(error as Error).message}`, file });
    return { documents, diagnostics };
  }
  if (!Array.isArray(parsed)) parsed = [];
  parsed.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      // the yaml package reports a stack overflow of its composer (collections nested some
      // thousand levels) as RESOURCE_EXHAUSTION, with the engine's own words: said as the depth
      // limit it is, once per document, as manifests say it (resources/parse.ts), where the
      // limit is crossed rather than where the composer gave up
      let tooDeep = false;
      for (const error of doc.errors) {
        const at = locate(error.pos[0]);
        if (error.code === "RESOURCE_EXHAUSTION") {
          if (!tooDeep)
            diagnostics.push(
              limitDiagnostic(limitViolation("maxDepth", limits, "", "nested too deeply to parse"), {
                file,
                ...(crossingIn(doc) ?? at),
              }),
            );
          tooDeep = true;
          continue;
        }
        diagnostics.push({
          code: "yaml-syntax",
          message: firstLine(error.message),
          file,
          ...at,
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliases });
    } catch (error) {
      const at = doc.contents?.range ? locate(doc.contents.range[0]) : undefined;
      // the yaml package's words for its alias count ("Excessive alias count indicates a
      // resource exhaustion attack") said as the limit, with the variable that sets it
      if (error instanceof ReferenceError && /alias count/i.test(error.message)) {
        diagnostics.push(
          limitDiagnostic(limitViolation("maxAliases", limits, "", "too many aliases expanded"), {
            file,
            line: at?.line,
            column: at?.column,
          }),
        );
        return;
      }
      diagnostics.push({ code: "yaml-syntax", message: firstLine((error as Error).message), file, ...at });
      return;
    }
    if (value === null || value === undefined) return; // empty documents are ignored
    const violation = checkValue(value, limits);
    if (violation) {
      // a depth limit at the collection that crosses it (the path alone may be cut short)
      const crossing = violation.limit === "maxDepth" ? crossingIn(doc) : undefined;
      const at = crossing ?? (doc.contents?.range ? locate(doc.contents.range[0]) : undefined);
      diagnostics.push(limitDiagnostic(violation, { file, line: at?.line, column: at?.column }));
      return;
    }
    documents.push({
      index,
      value,
      position(path, part) {
        let node: unknown = doc.contents;
        let best: unknown = node;
        for (const [step, key] of path.entries()) {
          if (isMap(node)) {
            const pair = node.items.find(
              (item) => isNode(item.key) && (item.key as { value?: unknown }).value === key,
            );
            if (!pair) break;
            if (part === "key" && step === path.length - 1) {
              best = pair.key;
              break;
            }
            best = pair.value ?? pair.key;
            node = pair.value;
            if (!isNode(node)) {
              best = pair.key;
              break;
            }
          } else if (isSeq(node) && typeof key === "number") {
            node = node.items[key];
            if (!isNode(node)) break;
            best = node;
          } else break;
        }
        const range = isNode(best) ? best.range : undefined;
        if (!range) return undefined;
        const scalarType = (best as { type?: unknown }).type;
        return { ...locate(range[0]), ...(typeof scalarType === "string" ? { scalarType } : {}) };
      },
    });
  });
  return { documents, diagnostics };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
