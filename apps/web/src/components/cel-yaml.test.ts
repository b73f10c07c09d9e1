// The editor's tokenizer: YAML keys and scalars, and CEL inside the values of CEL keys,
// whether plain, quoted or in a block scalar.
import { StringStream } from "@codemirror/language";
import { describe, expect, it } from "vitest";
import { celYaml } from "./cel-yaml.js";

/** Every non-blank token of each line, as [text, token name]. */
function tokens(text: string): [string, string | null][][] {
  const state = celYaml.startState!(2);
  return text.split("\n").map((line) => {
    const stream = new StringStream(line, 2, 2);
    const out: [string, string | null][] = [];
    while (!stream.eol()) {
      const style = celYaml.token(stream, state);
      const piece = stream.current();
      if (piece.trim()) out.push([piece.trim(), style]);
      stream.start = stream.pos;
    }
    return out;
  });
}

describe("celYaml", () => {
  it("tokenizes a quoted expression as CEL, and the rest as YAML", () => {
    const [key, expr, comment] = tokens(
      `  action: deny\n    - expression: "has(object.spec) && object.spec.replicas <= 10 && 'a' in params.names"\n# done`,
    );
    expect(key).toEqual([
      ["action", "propertyName"],
      [":", null],
      ["deny", null],
    ]);
    expect(expr).toEqual(
      expect.arrayContaining([
        ["- expression:", "propertyName"],
        ['"', "string"],
        ["has", "keyword"],
        ["object", "atom"],
        ["&&", "operator"],
        ["replicas", "variableName"],
        ["10", "number"],
        ["'a'", "string"],
        ["in", "keyword"],
        ["params", "atom"],
      ]),
    );
    expect(expr!.at(-1)).toEqual(['"', "string"]);
    expect(comment).toEqual([["# done", "comment"]]);
  });

  it("follows a block scalar expression to its end, and a plain one to a comment", () => {
    const lines = tokens(
      `    - expression: >\n        object.spec.replicas\n          <= 10\n      message: too many\n  - condition: size(object.items) > 0 # why`,
    );
    expect(lines[1]).toEqual([
      ["object", "atom"],
      [".", "operator"],
      ["spec", "variableName"],
      [".", "operator"],
      ["replicas", "variableName"],
    ]);
    expect(lines[2]).toEqual([
      ["<=", "operator"],
      ["10", "number"],
    ]);
    expect(lines[3]![0]).toEqual(["message", "propertyName"]);
    expect(lines[4]).toEqual(
      expect.arrayContaining([
        ["size", "keyword"],
        ["0", "number"],
        ["# why", "comment"],
      ]),
    );
  });
});
