import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../../../compile/compile.js";
import { exportVap } from "../../../export/vap.js";
import { parsePolicyDocuments } from "../../../policy/parse.js";
import { checkExpression } from "../../check.js";
import { compileError, evalCel, evalError, libraryEnv } from "../test-env.js";

/** Compiles one policy whose spec is `spec` (YAML, indented by two). */
function compileSpec(spec: string) {
  const text = `apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n${spec}`;
  const parsed = parsePolicyDocuments(text, "p.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const lines = text.split("\n");
  const result = compilePolicySet(parsed.located.policies, { fileLines: () => lines });
  return { ...result, lines };
}

const validation = (expression: string, match = "") =>
  `${match}  validations:\n    - expression: ${JSON.stringify(expression)}\n`;

// cel-go (cel.OptionalTypes, which Kubernetes enables from 1.28): `[a, ?b]` is a list whose
// element `b` is included only when the optional `b` has a value (interpreter evalList).
describe("optional list elements ([a, ?b])", () => {
  it("include the value of an optional that has one and leave out an empty one", () => {
    expect(evalCel("[1, ?optional.of(2), ?optional.none(), 3]")).toEqual([1n, 2n, 3n]);
    expect(evalCel("[?optional.none()]")).toEqual([]);
    expect(evalCel("[?x.?a, ?x.?b, 'c']", { x: { a: "A" } })).toEqual(["A", "c"]);
    // an optional holding null has a value (null)
    expect(evalCel("[?optional.of(null)]")).toEqual([null]);
  });

  it("type the list by the element type inside the optionals", () => {
    expect(libraryCheck("[1, ?optional.of(2)]")).toBe("list<int>");
    expect(libraryCheck("[?optional.of('a')]")).toBe("list<string>");
    expect(evalCel("[?optional.of(1), 2].size()")).toBe(2n);
    expect(evalCel("[?optional.of(1), ?optional.none()].map(e, e * 10)")).toEqual([10n]);
  });

  it("refuse, at compile time, an operand that is not optional (cel-go's checker: type mismatch)", () => {
    expect(compileError("[?1]")).toBe("expected type 'optional<int>' but found 'int'");
    expect(compileError("['a', ?'b']")).toBe("expected type 'optional<string>' but found 'string'");
    // the element inside the optional joins the homogeneity check (cel.HomogeneousAggregateLiterals)
    expect(compileError("[1, ?optional.of('a')]")).toMatch(
      /^list elements must have one type .*expected type 'int' but found 'string'/,
    );
  });

  it("refuse, at run time, a dyn operand that is not an optional (cel-go: invalid optional element)", () => {
    expect(evalError("[?dyn(1)]")).toBe("cannot initialize optional list element from non-optional value 1");
    expect(evalError("[?x.a]", { x: { a: "s" } })).toBe(
      'cannot initialize optional list element from non-optional value "s"',
    );
    expect(evalError("[?x.a]", { x: { a: [1n] } })).toMatch(/^cannot initialize .* value of type list/);
  });

  it("evaluate elements left to right: the first error is the one reported", () => {
    expect(evalError("[?dyn(1), 1 / 0]")).toMatch(/non-optional value 1/);
    expect(evalError("[1 / 0, ?dyn(1)]")).toMatch(/division by zero/i);
  });

  it("put the caret under the element that is not optional", () => {
    const checked = checkExpression("[optional.of(1),\n ?2 + 3]");
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.message).toBe("CEL type error: expected type 'optional<int>' but found 'int'");
      expect(checked.offset).toBe("[optional.of(1),\n ?".length);
    }
  });

  it("take `?` only before an element or entry, followed by an expression", () => {
    expect(compileError("[?]")).toMatch(/Unexpected token: RBRACKET/);
    expect(compileError("[??optional.none()]")).toMatch(/Unexpected token: QUESTION/);
    expect(compileError("f(?x)")).toMatch(/Unexpected token: QUESTION/);
    expect(compileError("{'a': ?optional.none()}")).toMatch(/Unexpected token: QUESTION/);
  });

  it("keep cel-js's list limits", () => {
    const many = `[${Array.from({ length: 1001 }, () => "?optional.none()").join(", ")}]`;
    expect(compileError(many)).toBe("Exceeded maxListElements (1000)");
    expect(evalCel("[1, ?optional.of(2), ]")).toEqual([1n, 2n]);
  });
});

// cel-go: `{?k: v}` holds k only when the optional v has a value; an entry whose optional is empty
// removes an earlier entry with the same key (interpreter evalMap: delete(entries, key)).
describe("optional map entries ({?k: v})", () => {
  it("include the entry of an optional that has a value and leave out an empty one", () => {
    expect(evalCel("{'a': 1, ?'b': optional.of(2), ?'c': optional.none()}")).toEqual({ a: 1n, b: 2n });
    expect(evalCel("{?'a': x.?missing}", { x: {} })).toEqual({});
    expect(evalCel("has({?'foo': optional.none()}.foo)")).toBe(false);
    expect(evalCel("{?'foo': optional.of(1)}.foo")).toBe(1n);
  });

  it("let an empty optional remove an earlier entry of the same key, and a later entry replace it", () => {
    expect(evalCel("{'a': 1, ?'a': optional.none()}")).toEqual({});
    expect(evalCel("{'a': 1, ?'a': optional.of(2)}")).toEqual({ a: 2n });
    expect(evalCel("{?'a': optional.none(), 'a': 3}")).toEqual({ a: 3n });
  });

  it("type the map by the value type inside the optionals", () => {
    expect(libraryCheck("{'a': 1, ?'b': optional.of(2)}")).toBe("map<string, int>");
  });

  it("refuse, at compile time, a value that is not optional; at run time, a dyn one", () => {
    expect(compileError("{?'a': 1}")).toBe("expected type 'optional<int>' but found 'int'");
    expect(compileError("{'a': 1, ?'b': optional.of('x')}")).toMatch(
      /^map values must have one type .*expected type 'int' but found 'string'/,
    );
    expect(evalError("{?'a': dyn(1)}")).toBe(
      'cannot initialize optional entry "a" from non-optional value 1',
    );
  });

  it("put the caret under the value, not the key", () => {
    const checked = checkExpression("{?'k': 'v'}");
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.offset).toBe("{?'k': ".length);
  });

  it("keep cel-js's map limits", () => {
    const many = `{${Array.from({ length: 1001 }, (_, i) => `?'k${i}': optional.none()`).join(", ")}}`;
    expect(compileError(many)).toBe("Exceeded maxMapEntries (1000)");
  });
});

// cel-spec's conformance data expects errors for these; cel-go (and so Kubernetes) builds the map,
// a repeated key keeping its last value, and skips those conformance tests (skip-list.ts MAP_KEYS).
describe("map literal keys as cel-go has them", () => {
  it("let a repeated key keep its last value", () => {
    expect(evalCel("{true: 1, false: 2, true: 3}[true]")).toBe(3n);
    expect(evalCel("{'a': 1, 'a': 2}")).toEqual({ a: 2n });
  });

  it("take null and double keys", () => {
    expect(evalCel("{null: false}[null]")).toBe(false);
    expect(evalCel("{1.5: 'x'}[1.5]")).toBe("x");
  });

  it("refuse int and uint keys in one literal at compile time (homogeneous literals)", () => {
    expect(compileError("{0: 1, 0u: 2}")).toMatch(/^map keys must have one type/);
  });
});

describe("hostile nesting", () => {
  it("ends deeply nested optional literals as a depth error, not a stack overflow", () => {
    for (const open of ["[?", "{?'k': ", "[?optional.of(", "{'k': [?"]) {
      const deep = `${open.repeat(20_000)}optional.none()`;
      const error = compileError(deep);
      expect(error).toMatch(/^Exceeded maxDepth \(\d+\)$/);
    }
  });
});

// cel-go's lexer: NUM_FLOAT includes '.' DIGIT+ EXPONENT? (cel-spec: `.99` is a double).
describe("doubles without a leading digit (.5)", () => {
  it("read as doubles, with an exponent too", () => {
    expect(evalCel(".99 > 9.9e-1")).toBe(false);
    expect(evalCel(".5")).toBe(0.5);
    expect(evalCel(".5e1")).toBe(5);
    expect(evalCel("-.25")).toBe(-0.25);
    expect(libraryCheck("[.5, 1.5]")).toBe("list<double>");
  });

  it("leave field selection alone, and a digit after a dot is still no field name", () => {
    expect(evalCel("x.a", { x: { a: 1n } })).toBe(1n);
    expect(evalCel("1.5")).toBe(1.5);
    expect(compileError("x.0")).toMatch(/Unexpected/);
    expect(compileError(".")).toMatch(/Unexpected token: DOT/);
  });
});

// cel-go's lexer: BYTES is [bB] followed by a STRING, and a STRING may be raw ([rR] prefix):
// a raw bytes literal is the UTF-8 encoding of its text, backslashes included.
describe("raw bytes literals (br'...')", () => {
  it("take the text as written: no escape is processed", () => {
    expect([...(evalCel("br'\\d+\\n'") as Uint8Array)]).toEqual([92, 100, 43, 92, 110]);
    expect([...(evalCel('bR"a\'b"') as Uint8Array)]).toEqual([97, 39, 98]);
    expect([...(evalCel("Br'''x\ny'''") as Uint8Array)]).toEqual([120, 10, 121]);
    expect([...(evalCel('BR"""q"""') as Uint8Array)]).toEqual([113]);
  });

  it("encode non-ASCII text as UTF-8", () => {
    expect([...(evalCel("br'é'") as Uint8Array)]).toEqual([0xc3, 0xa9]);
  });

  it("are bytes, and only with b before r (rb'...' is no literal in CEL)", () => {
    expect(libraryCheck("br'x'")).toBe("bytes");
    expect(evalCel("br'abc' == b'abc'")).toBe(true);
    expect(compileError("rb'x'")).toBeDefined();
    expect(compileError("br'x")).toMatch(/Unterminated string/);
    // an identifier named br is still an identifier
    expect(evalCel("br + 1", { br: 1n })).toBe(2n);
  });

  it("report a syntax error inside them at its exact position", () => {
    const checked = checkExpression("1 + br'abc");
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.offset).toBe("1 + br".length);
  });
});

// cel-go's parser unescapes a bytes literal's text into bytes: a character written as itself is
// its UTF-8 encoding, an escape (\xhh, \ooo, \n, ...) is the one byte it names, and \u is an error.
describe("bytes literals (b'...')", () => {
  const bytes = (expression: string) => [...(evalCel(expression) as Uint8Array)];

  it("hold the UTF-8 encoding of a non-ASCII character, as cel-go does", () => {
    expect(bytes("b'ÿ'")).toEqual([0xc3, 0xbf]);
    expect(bytes("b'é'")).toEqual([0xc3, 0xa9]);
    expect(bytes('B"€"')).toEqual([0xe2, 0x82, 0xac]);
    // a character outside the Basic Multilingual Plane (a surrogate pair in JavaScript)
    expect(bytes("b'😀'")).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(bytes("b'''aé\nb'''")).toEqual([0x61, 0xc3, 0xa9, 0x0a, 0x62]);
    expect(evalCel("size(b'ÿ')")).toBe(2n);
  });

  it("keep the exact byte each escape names", () => {
    expect(bytes("b'\\303\\277'")).toEqual([0xc3, 0xbf]);
    expect(bytes("b'\\xff'")).toEqual([0xff]);
    expect(bytes("b'\\XfF\\000'")).toEqual([0xff, 0x00]);
    expect(bytes("b'\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\\"\\'\\`'")).toEqual([
      7, 8, 12, 10, 13, 9, 11, 92, 63, 34, 39, 96,
    ]);
    // escapes and characters mixed: each keeps its own rule
    expect(bytes("b'ÿ\\xffÿ'")).toEqual([0xc3, 0xbf, 0xff, 0xc3, 0xbf]);
    expect(evalCel("b'ÿ' == b'\\303\\277'")).toBe(true);
    expect(evalCel("b'ÿ' != b'\\xff'")).toBe(true);
    expect(evalCel("string(b'\\303\\277')")).toBe("ÿ");
    expect(bytes("b''")).toEqual([]);
    expect(bytes("b''''''")).toEqual([]);
  });

  it("report a wrong escape at its position, as before", () => {
    expect(compileError("b'\\u00ff'")).toMatch(/\\u not allowed in bytes literals/);
    expect(compileError("b'\\400'")).toMatch(/Octal escape out of range/);
    const checked = checkExpression("b'ÿ' == b'\\xZ1'");
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.offset).toBe("b'ÿ' == b'".length);
  });
});

// cel-go parses m.`a-b` only with cel.EnableIdentifierEscapeSyntax(), which Kubernetes' CEL
// environment (1.34, cel-go v0.26) does not enable: its parser reports "unsupported syntax '`'"
// at the backtick.
describe("backtick-quoted field names (m.`a-b`)", () => {
  it("are a compile error, as in Kubernetes, naming what to write instead", () => {
    for (const expression of [
      "{'content-type': 1}.`content-type`",
      "has({'a-b': 1}.`a-b`)",
      "{'a': 1}.?`a`",
      "`a`",
    ]) {
      expect(compileError(expression)).toMatch(
        /^unsupported syntax '`': backtick-quoted field names are not enabled/,
      );
    }
    expect(compileError("x.`a`")).toMatch(/m\['content-type'\]/);
  });

  it("put the caret under the backtick", () => {
    const checked = checkExpression("object.metadata.`a-b` == 1");
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.offset).toBe("object.metadata.".length);
  });

  it("leave a backtick inside a string alone", () => {
    expect(evalCel("'a`b' + \"`\"")).toBe("a`b`");
    expect(evalCel("{'`k`': 1}['`k`']")).toBe(1n);
  });
});

describe("in policies", () => {
  const DEPLOYMENT = "  match: {kinds: [Deployment]}\n";

  it("compile with Kubernetes' schema types, cost estimate and compiled engine", () => {
    const { set, diagnostics } = compileSpec(
      validation("[?object.spec.?replicas, ?object.spec.?minReadySeconds].all(n, n >= 0)", DEPLOYMENT),
    );
    expect(diagnostics).toEqual([]);
    const expression = set.policies[0]!.validations[0]!.expression;
    expect(expression.engine).toBe("compiled");
    expect(expression.cost).toBeGreaterThan(10);
  });

  it("report a schema type error inside an optional element at its field", () => {
    const { diagnostics, lines } = compileSpec(
      validation("[?object.spec.?replicas, ?object.spec.replicaz].size() > 0", DEPLOYMENT),
    );
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d.message).toMatch(/replicaz/);
    expect(lines[(d.line ?? 1) - 1]?.slice((d.column ?? 1) - 1).startsWith("replicaz")).toBe(true);
  });

  it("report a non-optional element at file:line:col under the element", () => {
    const { diagnostics, lines } = compileSpec(validation("size([?object.metadata.name]) > 0", DEPLOYMENT));
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d.message).toBe("CEL type error: expected type 'optional<string>' but found 'string'");
    expect(lines[(d.line ?? 1) - 1]?.slice((d.column ?? 1) - 1).startsWith("object.metadata.name]")).toBe(
      true,
    );
  });

  it("accept a dyn element at compile time (cel-go does; it fails at run time if not an optional)", () => {
    expect(compileSpec(validation("size([?object.metadata.name]) > 0")).diagnostics).toEqual([]);
  });

  it("refuse a backtick-quoted field name at file:line:col under the backtick", () => {
    const { diagnostics, lines } = compileSpec(validation("has(object.metadata.labels.`app-name`)"));
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d.message).toMatch(/unsupported syntax '`'/);
    expect(lines[(d.line ?? 1) - 1]?.slice((d.column ?? 1) - 1).startsWith("`app-name`")).toBe(true);
  });

  it("export as a ValidatingAdmissionPolicy (optional literals are Kubernetes syntax)", () => {
    const { set, diagnostics, lines } = compileSpec(
      validation("size({?'r': object.spec.?replicas, 'k': .5}) > 0 && br'x' == b'x'", DEPLOYMENT),
    );
    expect(diagnostics).toEqual([]);
    const exported = exportVap(set.policies[0]!, { fileLines: () => lines });
    expect(exported.exportable).toBe(true);
  });
});

/** The checked type of `expression` in the libraries' environment, or the error. */
function libraryCheck(expression: string): string | undefined {
  const checked = libraryEnv().parse(expression).check();
  return checked.valid ? checked.type : `error: ${checked.error?.message}`;
}
