import type { SourcePosition } from "./source.js";

/**
 * Maps an offset inside a CEL expression to a line and column of the YAML file that holds it.
 * Exact for single-line scalars and block scalars (`|`, `>`); approximate for multi-line flow scalars.
 */
export function expressionPosition(
  base: SourcePosition | undefined,
  expression: string,
  offset: number,
  fileLines: readonly string[],
): { line: number; column: number; sourceLine: string } | undefined {
  if (!base) return undefined;
  const before = expression.slice(0, Math.max(0, offset));
  const lineIndex = before.split("\n").length - 1;
  const columnInLine = before.length - (before.lastIndexOf("\n") + 1);
  if (base.scalarType === "BLOCK_LITERAL" || base.scalarType === "BLOCK_FOLDED") {
    // the block's indentation is that of its first non-empty content line
    let first = base.line;
    while (first < fileLines.length && (fileLines[first] ?? "").trim() === "") first++;
    const firstLine = fileLines[first] ?? "";
    const indent = firstLine.length - firstLine.trimStart().length;
    // each source line's text (less the block's indentation) comes next in the expression,
    // whether folding joined it to the previous line with a space or kept the line break
    let cursor = 0;
    for (let index = first; index < fileLines.length; index++) {
      const sourceLine = fileLines[index] ?? "";
      if (sourceLine.trim() === "") continue;
      if (sourceLine.length - sourceLine.trimStart().length < indent) break;
      const text = sourceLine.slice(indent).trimEnd();
      const at = expression.indexOf(text, cursor);
      if (at < 0) break;
      if (offset <= at + text.length) {
        return { line: index + 1, column: indent + Math.max(0, offset - at) + 1, sourceLine };
      }
      cursor = at + text.length;
    }
    const line = first + 1 + lineIndex;
    return { line, column: indent + columnInLine + 1, sourceLine: fileLines[line - 1] ?? "" };
  }
  const quoted = base.scalarType === "QUOTE_DOUBLE" || base.scalarType === "QUOTE_SINGLE" ? 1 : 0;
  if (lineIndex === 0) {
    return { line: base.line, column: base.column + quoted + columnInLine, sourceLine: base.sourceLine };
  }
  const line = base.line + lineIndex;
  const sourceLine = fileLines[line - 1] ?? "";
  const indent = sourceLine.length - sourceLine.trimStart().length;
  return { line, column: indent + columnInLine + 1, sourceLine };
}
