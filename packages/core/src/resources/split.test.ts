import { describe, expect, it } from "vitest";
import { splitByLines, splitYamlDocuments } from "./split.js";

/** Lines that exercise every branch: markers with and without text, blanks of every kind, comments. */
const LINES = [
  "---",
  "--- a: 1",
  "---   # a comment on the marker",
  "--- |",
  "---x",
  "-- not a marker",
  "---\t",
  "--- \u2028",
  "...",
  "... ",
  "...x",
  "",
  "   ",
  "\t",
  "\u00a0",
  "\ufeff",
  "\u2028",
  "# comment",
  "   # indented comment",
  "\u00a0# comment after a no-break space",
  "apiVersion: v1",
  "kind: Pod",
  "  name: x",
  "- item",
];

function randomText(random: () => number): string {
  const count = Math.floor(random() * 14);
  const lines = Array.from({ length: count }, () => LINES[Math.floor(random() * LINES.length)] as string);
  return lines.join("\n") + (random() < 0.5 ? "\n" : "");
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("splitYamlDocuments", () => {
  it("gives, for texts without \\r, the chunks of the line-by-line definition", () => {
    const random = prng(20261206);
    for (let i = 0; i < 20_000; i++) {
      const text = randomText(random);
      expect(splitYamlDocuments(text), JSON.stringify(text)).toEqual(splitByLines(text));
    }
  });

  it("keeps the marker line's text, the document's lines and their positions", () => {
    const text = "# head\n---\nkind: A\n--- kind: B\nname: b\n...\n\n# only a comment\n---\n\n  kind: C\n";
    expect(splitYamlDocuments(text)).toEqual([
      { text: "\nkind: A", line: 2, contentLine: 3, index: 0 },
      { text: "kind: B\nname: b", line: 4, contentLine: 4, index: 1 },
      { text: "\n\n  kind: C\n", line: 9, contentLine: 11, index: 2 },
    ]);
  });

  it("drops one trailing \\r of each line", () => {
    const text = "kind: A\r\n---\r\nkind: B\r\r\n";
    expect(splitYamlDocuments(text)).toEqual([
      { text: "kind: A", line: 1, contentLine: 1, index: 0 },
      { text: "\nkind: B\r\n", line: 2, contentLine: 3, index: 1 },
    ]);
  });
});
