import { describe, expect, it } from "vitest";
import { parsePolicyDocuments } from "./parse.js";

/**
 * `levels` collections nested in one style, written as the value of a field whose key sits at
 * `indent` columns on `line`: its text (after the key) and where its `n`th collection (0-based)
 * starts.
 */
const styles = {
  "flow sequences": (levels: number, indent: number) => ({
    text: ` ${"[".repeat(levels)}${"]".repeat(levels)}`,
    at: (n: number) => ({ line: 0, column: indent + 7 + n }),
  }),
  "flow mappings": (levels: number, indent: number) => ({
    text: ` ${"{a: ".repeat(levels)}1${"}".repeat(levels)}`,
    at: (n: number) => ({ line: 0, column: indent + 7 + 4 * n }),
  }),
  "block sequences": (levels: number, indent: number) => ({
    text: `\n${" ".repeat(indent + 2)}${"- ".repeat(levels)}x`,
    at: (n: number) => ({ line: 1, column: indent + 3 + 2 * n }),
  }),
  "block mappings": (levels: number, indent: number) => ({
    text: `${Array.from({ length: levels }, (_, i) => `\n${" ".repeat(indent + 2 + i)}a:`).join("")} 1`,
    at: (n: number) => ({ line: 1 + n, column: indent + 3 + n }),
  }),
} as const;

/** A Policy whose `spec.params.deep` (depth 4) holds the nesting, on line 6. */
const policy = (nest: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: p}
spec:
  params:
    deep:${nest}
  validations:
    - expression: "true"
`;

/** A PolicyTest whose `spec.cases[0].params.deep` (depth 6) holds the nesting, on line 10. */
const policyTest = (nest: string) => `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: t}
spec:
  policy: p
  cases:
    - name: c
      expect: pass
      params:
        deep:${nest}
      resource: {apiVersion: v1, kind: Pod, metadata: {name: a}}
`;

const documents = [
  { name: "a Policy", make: policy, line: 6, indent: 4, depth: 4 },
  { name: "a PolicyTest", make: policyTest, line: 10, indent: 8, depth: 6 },
];

describe("YAML nested past the depth limit is refused where the limit is crossed", () => {
  for (const [style, nest] of Object.entries(styles))
    for (const doc of documents)
      for (const levels of style.startsWith("block mappings")
        ? [129, 800, 2_000]
        : [129, 800, 5_000, 100_000])
        it(`${style}, ${levels} levels, in ${doc.name}`, () => {
          const { text, at } = nest(levels, doc.indent);
          const { diagnostics, policies, tests } = parsePolicyDocuments(doc.make(text), "deep.yaml");
          expect(policies).toEqual([]);
          expect(tests).toEqual([]);
          expect(diagnostics).toHaveLength(1);
          // the 129th collection from the top: the first past the limit of 128
          const crossing = at(128 - doc.depth + 1);
          expect(diagnostics[0]).toMatchObject({
            code: "input-limit",
            message: expect.stringMatching(
              /^nested too deeply( to parse)?, over the nesting depth limit of 128 \(the default for policy, exception and test files, whatever CELGATE_MAX_DEPTH says\)$/,
            ),
            file: "deep.yaml",
            line: doc.line + crossing.line,
            column: crossing.column,
          });
        });

  it("megabytes of nesting are refused in milliseconds, not read by the yaml package (seconds, a gigabyte)", () => {
    const levels = 1_000_000;
    const started = performance.now();
    const { diagnostics } = parsePolicyDocuments(
      policy(styles["flow sequences"](levels, 4).text),
      "deep.yaml",
    );
    expect(diagnostics).toMatchObject([{ code: "input-limit", line: 6, column: 136 }]);
    // the yaml package took about 8 s and 1.1 GB for this text; the refusal takes milliseconds
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("an empty collection just past the limit, and one in a later document", () => {
    // deep's list is at depth 4: the 126th, empty, at 129
    const nest = ` ${"[".repeat(126)}${"]".repeat(126)}`;
    const text = `${policy(" 1")}---\n${policy(nest)}`;
    const { diagnostics } = parsePolicyDocuments(text, "deep.yaml");
    expect(diagnostics).toMatchObject([{ code: "input-limit", line: 15, column: 136 }]);
  });

  it("the limit crossed through an alias: at the alias", () => {
    const levels = 100;
    const text = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: p}
spec:
  params:
    a: &deep ${"[".repeat(levels)}${"]".repeat(levels)}
    b:
      c:
        d:
          e:
            f: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[*deep]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
  validations:
    - expression: "true"
`;
    const { diagnostics } = parsePolicyDocuments(text, "deep.yaml");
    // b is at depth 4, f's outer list at 8, *deep inside 29 lists at 37: its 100 levels reach 136
    expect(diagnostics).toMatchObject([{ code: "input-limit", line: 11, column: 45 }]);
  });
});
