import { UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
import { stringsFunctions } from "./index.js";

describe("strings library", () => {
  it("gives every documented result", () => {
    for (const doc of stringsFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // cel-go ext/strings.go documentation and the cel-spec string_ext conformance tests
  it.each([
    ["'tacocat'.charAt(3)", "o"],
    ["'tacocat'.charAt(7)", ""],
    ["'©αT'.charAt(0) + '©αT'.charAt(1) + '©αT'.charAt(2)", "©αT"],
    ["'😀x'.charAt(1)", "x"],
    ["'hello hello'.replace('he', 'we')", "wello wello"],
    ["'hello hello'.replace('he', 'we', -1)", "wello wello"],
    ["'hello hello'.replace('he', 'we', 1)", "wello hello"],
    ["'hello hello'.replace('he', 'we', 0)", "hello hello"],
    ["'12 days 12 hours'.replace('{0}', '2')", "12 days 12 hours"],
    ["'{0} days {0} hours'.replace('{0}', '2')", "2 days 2 hours"],
    ["'{0} days {0} hours'.replace('{0}', '2', 1).replace('{0}', '23')", "2 days 23 hours"],
    ["'1 ©αT taco'.replace('αT', 'o©α')", "1 ©o©α taco"],
    ["'abc'.replace('', '-')", "-a-b-c-"],
    ["'😀😀'.replace('', '-', 2)", "-😀-😀"],
    ["strings.quote('first\\nsecond')", '"first\\nsecond"'],
    ["strings.quote('bell\\a')", '"bell\\a"'],
    ["strings.quote('\\bbackspace')", '"\\bbackspace"'],
    ["strings.quote('\\fform feed')", '"\\fform feed"'],
    ["strings.quote('carriage \\r return')", '"carriage \\r return"'],
    ["strings.quote('horizontal tab\\t')", '"horizontal tab\\t"'],
    ["strings.quote('vertical \\v tab')", '"vertical \\v tab"'],
    ["strings.quote('double \\\\\\\\ slash')", '"double \\\\\\\\ slash"'],
    ["strings.quote('mid string \" quote')", '"mid string \\" quote"'],
    ["strings.quote('printable unicode😀')", '"printable unicode😀"'],
    ["strings.quote('')", '""'],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });

  it("charAt is an error outside the string", () => {
    expect(evalError("'hello'.charAt(-1)")).toBe("index out of range: -1");
    expect(evalError("'hello'.charAt(6)")).toBe("index out of range: 6");
  });

  it("quote replaces unpaired surrogates", () => {
    expect(evalCel("strings.quote(s)", { s: "a\uD800b" })).toBe('"a\uFFFDb"');
  });
});

describe("string.format (Kubernetes: cel-go strings v2)", () => {
  const format = (template: string, args: string) => evalCel(`${JSON.stringify(template)}.format([${args}])`);

  // cel-go ext/formatting_test.go (the formatting Kubernetes uses) and cel-spec conformance
  it.each([
    ["no substitution", "", "no substitution"],
    ["str is %s and some more", '"filler"', "str is filler and some more"],
    ["%% and also %%", "", "% and also %"],
    ["%%%s%%", '"text"', "%text%"],
    [
      "%d %d %d, %s %s %s, %d %d %d, %s %s %s",
      '1, 2, 3, "A", "B", "C", 4, 5, 6, "D", "E", "F"',
      "1 2 3, A B C, 4 5 6, D E F",
    ],
    ["%.3f", "1.2345", "1.234"],
    ["%.3f", "1.2355", "1.236"],
    ["%.0f", "2.5", "2"],
    ["%.0f", "3.5", "4"],
    ["%.0f", "3.5001", "4"],
    ["%.0f", "123.0", "123"],
    ["%f", "2.71828", "2.718280"],
    ["%.2f", "1234567.891", "1,234,567.89"],
    ["%.1f", "-1234.56", "-1,234.6"],
    ["%f", '"NaN"', "NaN"],
    ["%f", '"Infinity"', "∞"],
    ["%f", '"-Infinity"', "-∞"],
    ["%f", 'double("Infinity")', "∞"],
    ["%e", "2.71828", "2.718280\u202f×\u202f10⁰⁰"],
    ["%.6e", "1052.032911275", "1.052033\u202f×\u202f10⁰³"],
    ["%e", "-0.00012", "-1.200000\u202f×\u202f10⁻⁰⁴"],
    ["this is 5 in binary: %b", "5", "this is 5 in binary: 101"],
    ["this is -5 in binary: %b", "-5", "this is -5 in binary: -101"],
    ["unsigned 64 in binary: %b", "uint(64)", "unsigned 64 in binary: 1000000"],
    ["bit set from bool: %b", "true", "bit set from bool: 1"],
    ["%o", "11", "13"],
    ["%o", "-11", "-13"],
    ["this is an unsigned octal: %o", "uint(65535)", "this is an unsigned octal: 177777"],
    ["%x is 30 in hexadecimal", "30", "1e is 30 in hexadecimal"],
    ["%X is 20 in hexadecimal", "30", "1E is 20 in hexadecimal"],
    ["%x is -30 in hexadecimal", "-30", "-1e is -30 in hexadecimal"],
    ["%X is 6000 in hexadecimal", "uint(6000)", "1770 is 6000 in hexadecimal"],
    ["%x", '"Hello world!"', "48656c6c6f20776f726c6421"],
    ["%X", '"Hello world!"', "48656C6C6F20776F726C6421"],
    ["%x", 'b"byte string"', "6279746520737472696e67"],
    ["%x", 'b"\\x00\\x00byte string\\x00"', "00006279746520737472696e6700"],
    ["%s", "2.71", "2.71"],
    ["%s", "[2.71]", "[2.710000]"],
    ["%s", "0.000000002", "2e-09"],
    ["%s", "1000000.0", "1e+06"],
    ["%s", "123456.0", "123456"],
    ["%s", "[0.000000002]", "[0.000000]"],
    ["%s", 'double("NaN")', "NaN"],
    ["%s", 'double("Inf")', "+Inf"],
    ["%s", 'double("-Inf")', "-Inf"],
    ["%s", '[double("NaN"), double("+Inf"), double("-Inf")]', '["NaN", "+Inf", "-Inf"]'],
    ["%d", "uint(64)", "64"],
    ["null: %s", "null", "null: null"],
    ["%s", "999999999999", "999999999999"],
    ["some bytes: %s", 'b"xyz"', "some bytes: xyz"],
    ["type is %s", 'type("test string")', "type is string"],
    ["%s", 'timestamp("2023-02-03T23:31:20+00:00")', "2023-02-03T23:31:20Z"],
    ["%s", 'timestamp("2023-02-03T23:31:20.5Z")', "2023-02-03T23:31:20.5Z"],
    ["%s", 'duration("1h45m47s")', "6347s"],
    ["%s", 'duration("2ns")', "0.000000002s"],
    [
      "%s",
      '["abc", 3.14, null, [9, 8, 7, 6], timestamp("2023-02-03T23:31:20Z")]',
      '["abc", 3.140000, null, [9, 8, 7, 6], timestamp("2023-02-03T23:31:20Z")]',
    ],
    [
      "%s",
      '{"key1": b"xyz", "key5": null, "key2": duration("2h"), "key4": true, "key3": 2.71828}',
      '{"key1":b"xyz", "key2":duration("7200s"), "key3":2.718280, "key4":true, "key5":null}',
    ],
    ["true bool: %s, false bool: %s", "true, false", "true bool: true, false bool: false"],
    ["%s", '[6, 4.2, "a string"]', '[6, 4.200000, "a string"]'],
    ["%s", '["tab\\there"]', '["tab\\there"]'],
  ])("%j with [%s]", (template, args, expected) => {
    expect(format(template, args)).toBe(expected);
  });

  it("formats maps with int, uint and bool keys, sorted by their text", () => {
    // cel-js turns the keys of map literals into strings, so the typed keys come from a variable.
    const m = new Map<unknown, unknown>([
      ["strKey", "x"],
      [6n, "y"],
      [new UnsignedInt(2n), 2.5],
      [true, Number.NaN],
    ]);
    expect(evalCel("'%s'.format([m])", { m })).toBe('{"strKey":"x", 2:2.500000, 6:"y", true:"NaN"}');
    expect(evalError("'%s'.format([m])", { m: new Map([[1.5, "x"]]) })).toBe(
      "error during formatting: no formatting function for map key of type double",
    );
  });

  it("formats values from the resource like literals", () => {
    expect(
      evalCel("'%s wants %d replicas'.format([object.name, object.replicas])", {
        object: { name: "web", replicas: 3n },
      }),
    ).toBe("web wants 3 replicas");
    expect(evalCel("'missing: %s'.format([labels])", { labels: ["app", "team"] })).toBe(
      'missing: ["app", "team"]',
    );
  });

  // cel-go's error messages
  it.each([
    ["%a", "1", 'could not parse formatting clause: unrecognized formatting clause "a"'],
    ["%E", "0.5", 'could not parse formatting clause: unrecognized formatting clause "E"'],
    ["filler %", "1", "unexpected end of string"],
    [
      "%.1000001f",
      "5.0",
      "could not parse formatting clause: precision 1000001 is larger than celgate's resource limit of 1000000",
    ],
    [
      "%.f",
      "5.0",
      'could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax',
    ],
    [
      "double is %.34",
      "5.0",
      "could not parse formatting clause: error while parsing precision: could not find end of precision specifier",
    ],
    [
      "string is %b",
      '"abc"',
      "error during formatting: only integers and bools can be formatted as binary, was given string",
    ],
    [
      "%d",
      'duration("30m2s")',
      "error during formatting: decimal clause can only be used on integers, was given google.protobuf.Duration",
    ],
    ["%d", "2.5", "error during formatting: decimal clause can only be used on integers, was given double"],
    [
      "octal: %o",
      '"a string"',
      "error during formatting: octal clause can only be used on integers, was given string",
    ],
    [
      "double is %x",
      "0.5",
      "error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given double",
    ],
    [
      "null: %d",
      "null",
      "error during formatting: decimal clause can only be used on integers, was given null_type",
    ],
    [
      "null: %e",
      "null",
      "error during formatting: scientific clause can only be used on doubles, was given null_type",
    ],
    [
      "null: %f",
      "null",
      "error during formatting: fixed-point clause can only be used on doubles, was given null_type",
    ],
    [
      "%s",
      "quantity('1')",
      "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given kubernetes.Quantity",
    ],
    ["%s", "[1, quantity('1')]", "error during formatting: no formatting function for kubernetes.Quantity"],
  ])("%j with [%s] is an error", (template, args, message) => {
    // dyn() hides the list from the compile-time check, so these are cel-go's run-time errors
    expect(evalError(`${JSON.stringify(template)}.format(dyn([${args}]))`)).toBe(message);
  });

  // cel-go's format validator also checks the type of each literal argument against its clause
  it.each([
    ["'%d'.format(['a'])", "format() clause %d cannot format an argument of type 'string'"],
    ["'%d'.format([2.5])", "format() clause %d cannot format an argument of type 'double'"],
    ["'%o'.format([true])", "format() clause %o cannot format an argument of type 'bool'"],
    ["'%x'.format([0.5])", "format() clause %x cannot format an argument of type 'double'"],
    [
      "'%s'.format([quantity('1')])",
      "format() clause %s cannot format an argument of type 'kubernetes.Quantity'",
    ],
    ["'%f %s'.format([1, 'a'])", "format() clause %f cannot format an argument of type 'int'"],
  ])("%s is a compile error", (expression, message) => {
    expect(compileError(expression)).toBe(message);
  });

  it("accepts the types each clause takes", () => {
    for (const expression of [
      "'%s %s %s %s'.format(['a', 1, 2.5, [1]])",
      "'%d %d'.format([1, 2u])",
      "'%f %e %f'.format([1.5, 2.5, 'NaN'])",
      "'%b %b %x %X %o'.format([5, true, 'hi', b'hi', 8])",
      "'%s %d'.format([x, x])",
    ]) {
      expect(compileError(expression), expression).toBeUndefined();
    }
  });

  // Kubernetes' strings version 2 has no precision limit (cel-go's limit of 100 came with version 5).
  it("pads to any precision", () => {
    const text = evalCel("'%.1000f'.format([0.5])") as string;
    expect(text).toBe(`0.5${"0".repeat(999)}`);
    expect(evalCel("'%.1076f'.format([5e-324])")).toMatch(
      /^0\.0{323}49406564584124654417656879286822137236505980/,
    );
  });

  // cel-go's format validator: with a literal format string and a literal argument list, a
  // clause it cannot parse and an argument count other than the clauses use fail compilation.
  it.each([
    ["'%d %d %d'.format([0, 1])", "format() uses 3 arguments but is given 2"],
    ["'%s %s'.format(['abc'])", "format() uses 2 arguments but is given 1"],
    ["'%s'.format(['a', 'b'])", "format() uses 1 argument but is given 2"],
    ["'no clauses'.format([1])", "format() uses 0 arguments but is given 1"],
    ["'%a'.format([1])", 'could not parse formatting clause: unrecognized formatting clause "a"'],
  ])("%s is a compile error", (expression, message) => {
    expect(compileError(expression)).toBe(message);
  });

  it("checks counts at run time when the arguments are not a literal list", () => {
    // Kubernetes formats what the clauses use; unused arguments of a non-literal list are no error
    expect(compileError("'%s'.format(args)")).toBeUndefined();
    expect(evalCel("'%s'.format(args)", { args: ["a", "b"] })).toBe("a");
    expect(evalError("'%s %s'.format(args)", { args: ["a"] })).toBe("index 1 out of range");
  });
});

describe("string functions cel-js provides, with Kubernetes' semantics", () => {
  // cel-go ext/strings.go (v0.26, Kubernetes 1.34) and its tests; indexes count code points.
  it.each([
    ["'hello mellow'.indexOf('')", 0n],
    ["'hello mellow'.indexOf('ello')", 1n],
    ["'hello mellow'.indexOf('jello')", -1n],
    ["'hello mellow'.indexOf('', 2)", 2n],
    ["'hello mellow'.indexOf('ello', 2)", 7n],
    ["'hello mellow'.indexOf('', 20)", 20n],
    ["'hello mellow'.indexOf('ello', 12)", -1n],
    ["'hello mellow'.indexOf('ello', 20)", -1n],
    ["''.indexOf('a')", -1n],
    ["'hello mellow'.lastIndexOf('')", 12n],
    ["'hello mellow'.lastIndexOf('ello')", 7n],
    ["'hello mellow'.lastIndexOf('ello', 6)", 1n],
    ["'hello mellow'.lastIndexOf('ello', 12)", -1n],
    ["''.lastIndexOf('a')", -1n],
    ["'ta©o©αT'.indexOf('©', 3)", 4n],
    ["'😀a😀b'.indexOf('b')", 3n],
    ["'😀a😀b'.indexOf('😀', 1)", 2n],
    ["'😀a😀b'.lastIndexOf('😀')", 2n],
    ["'😀a😀b'.lastIndexOf('a', 2)", 1n],
    ["'😀😀abc'.substring(2)", "abc"],
    ["'😀😀abc'.substring(1, 3)", "😀a"],
    ["'😀😀abc'.size()", 5n],
    ["'TacoCat'.lowerAscii()", "tacocat"],
    ["'TacoCÆt Xii'.lowerAscii()", "tacocÆt xii"],
    ["'TacoCat'.upperAscii()", "TACOCAT"],
    ["'TacoCæt Xii'.upperAscii()", "TACOCæT XII"],
    ["'hello hello hello'.split(' ')", ["hello", "hello", "hello"]],
    ["'hello hello hello'.split(' ', 0)", []],
    ["'hello hello hello'.split(' ', 1)", ["hello hello hello"]],
    ["'hello hello hello'.split(' ', 2)", ["hello", "hello hello"]],
    ["'hello hello hello'.split(' ', -1)", ["hello", "hello", "hello"]],
    ["'😀ab'.split('')", ["😀", "a", "b"]],
    ["'😀ab'.split('', 2)", ["😀", "ab"]],
    ["'tacocat'.substring(4)", "cat"],
    ["'tacocat'.substring(0, 4)", "taco"],
    ["' \\f\\n\\r\\t\\vtext  '.trim()", "text"],
    // Go's unicode.IsSpace: NEL and NBSP are spaces, the BOM (zero width) is not
    ["'\\u0085\\u00a0\\u2003text\\u3000'.trim()", "text"],
    ["'\\ufefftext\\ufeff'.trim()", "\ufefftext\ufeff"],
    ["['hello', 'mellow'].join()", "hellomellow"],
    ["[].join('/')", ""],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("applies to strings read from the resource (dyn) and leaves lists to the lists library", () => {
    expect(evalCel("s.indexOf('b', 9) == -1 && s.upperAscii() == 'ÆB'", { s: "æb" })).toBe(false);
    expect(evalCel("s.upperAscii()", { s: "æb" })).toBe("æB");
    expect(evalCel("l.indexOf('b')", { l: ["a", "b"] })).toBe(1n);
    expect(evalCel("l.lastIndexOf(2)", { l: [2n, 2n, 3n] })).toBe(1n);
  });

  it("errors like cel-go for out-of-range indexes", () => {
    expect(evalError("'tacocat'.substring(-1)")).toBe("index out of range: -1");
    expect(evalError("'tacocat'.substring(8)")).toBe("index out of range: 8");
    expect(evalError("'tacocat'.substring(2, 1)")).toBe("invalid substring range. start: 2, end: 1");
    expect(evalError("'tacocat'.substring(0, 8)")).toBe("index out of range: 8");
    expect(evalError("'😀😀'.substring(0, 3)")).toBe("index out of range: 3");
    expect(evalError("'hello mellow'.indexOf('ello', -1)")).toBe("index out of range: -1");
    expect(evalError("'hello mellow'.lastIndexOf('ello', -1)")).toBe("index out of range: -1");
  });

  it("has no string reverse(): Kubernetes enables strings version 2, reverse() is version 3", () => {
    expect(compileError("'gums'.reverse()")).toMatch(/found no matching overload for 'string.reverse\(\)'/);
  });
});
