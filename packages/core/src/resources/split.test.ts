import { describe, expect, it } from "vitest";
import { type DocumentChunk, splitYamlDocuments } from "./split.js";

/** The splitter as it was first written, over `text.split("\n")`: the oracle of the one in use. */
function splitByLines(text: string): DocumentChunk[] {
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
    if (/^---(?:[ \t].*)?$/.test(line)) {
      flush(i);
      const rest = line.slice(3).trim();
      buffer.push(rest.startsWith("#") ? "" : rest);
    } else if (/^\.\.\.[ \t]*$/.test(line)) {
      flush(i + 1);
    } else {
      buffer.push(line);
    }
  }
  flush(lines.length);
  return chunks;
}

describe("splitYamlDocuments", () => {
  it("splits at --- lines, keeps content after the marker, ends at ...", () => {
    const text = "a: 1\n---\nb: 2\n--- {c: 3}\n...\n# only a comment\n---\n\n  d: 4\n";
    expect(splitYamlDocuments(text)).toEqual([
      { text: "a: 1", line: 1, contentLine: 1, index: 0 },
      { text: "\nb: 2", line: 2, contentLine: 3, index: 1 },
      { text: "{c: 3}", line: 4, contentLine: 4, index: 2 },
      { text: "\n\n  d: 4\n", line: 7, contentLine: 9, index: 3 },
    ]);
  });

  it("gives what splitting into lines gives, on generated streams", () => {
    // lines that matter to the splitter, and some that only look like they do
    const pieces = [
      "---",
      "--- ",
      "---\t# c",
      "--- {a: 1}",
      "----",
      "---x",
      "...",
      "... ",
      "....",
      "",
      "  ",
      "# comment",
      "  # indented comment",
      "kind: Pod",
      "  name: x",
      "- item",
      "\u2028",
      "--- a\u2028b",
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const lines = Array.from({ length: random(12) }, () => pieces[random(pieces.length)]!);
      const eol = ["\n", "\r\n"][random(2)]!;
      const text = lines.join(eol) + (random(2) ? eol : "");
      expect(splitYamlDocuments(text), JSON.stringify(text)).toEqual(splitByLines(text));
    }
  });
});
