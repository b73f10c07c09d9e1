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

describe("splitYamlDocuments on generated streams, LF and CRLF", () => {
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
