import { describe, expect, it } from "vitest";
import { kubectlPlainScalar } from "./kubectl-scalars.js";

// What go-yaml v2 (through sigs.k8s.io/yaml, as kubectl reads manifests) makes of each plain
// scalar, as the JSON it sends: facts of its resolve table and of Go's strconv.
const CASES: [text: string, value: unknown][] = [
  // its words
  ["yes", true],
  ["Yes", true],
  ["YES", true],
  ["y", true],
  ["Y", true],
  ["on", true],
  ["ON", true],
  ["true", true],
  ["no", false],
  ["N", false],
  ["Off", false],
  ["FALSE", false],
  ["", null],
  ["~", null],
  ["Null", null],
  [".inf", Number.POSITIVE_INFINITY],
  ["+.INF", Number.POSITIVE_INFINITY],
  ["-.Inf", Number.NEGATIVE_INFINITY],
  [".NaN", Number.NaN],
  // words it does not know stay text, whatever their first letter
  ["yEs", "yEs"],
  ["tRUE", "tRUE"],
  ["nope", "nope"],
  ["Oslo", "Oslo"],
  ["NaN", "NaN"],
  ["inf", "inf"],
  // ints through strconv.ParseInt(s, 0, 64), `_` removed first
  ["0", 0],
  ["-0", 0],
  ["42", 42],
  ["+42", 42],
  ["-42", -42],
  ["0644", 420],
  ["-0644", -420],
  ["00", 0],
  ["0o17", 15],
  ["0O17", 15],
  ["0x1F", 31],
  ["-0X1f", -31],
  ["+0x1F", 31],
  ["0b101", 5],
  ["1_000", 1000],
  ["0x_1F", 31],
  ["1_", 1],
  ["9223372036854775807", Number(9223372036854775807n)],
  // past int64, uint64; past that, a float of YAML's style
  ["18446744073709551615", Number(18446744073709551615n)],
  ["99999999999999999999", 1e20],
  // not an int: a float of YAML's style, else text
  ["08", 8],
  ["0.5", 0.5],
  ["1.", 1],
  ["1e3", 1000],
  ["1E+3", 1000],
  ["-1.5e-3", -0.0015],
  ["1_0.5", 10.5],
  ["0x1p3", "0x1p3"],
  ["1e", "1e"],
  ["1.5.6", "1.5.6"],
  ["+", "+"],
  ["-", "-"],
  ["0x", "0x"],
  ["2001-12-14", "2001-12-14"],
  ["2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00"],
  ["12:30", "12:30"],
  ["1.2.3.4", "1.2.3.4"],
  ["500m", "500m"],
  ["1Gi", "1Gi"],
  // a leading `.`: strconv.ParseFloat on the text as written (Go's `_` rules)
  [".5", 0.5],
  [".5e3", 500],
  [".5_0", 0.5],
  [".5_", ".5_"],
  ["._5", "._5"],
  [".", "."],
  [".e1", ".e1"],
  // any other first character: text
  ["_1", "_1"],
  ["<<", "<<"],
  ["=", "="],
];

describe("kubectlPlainScalar", () => {
  it.each(CASES)("reads %j as kubectl does", (text, value) => {
    expect(kubectlPlainScalar(text)).toEqual(value);
    // -0 is 0 for an int (go-yaml's int 0)
    if (value === 0) expect(Object.is(kubectlPlainScalar(text), 0)).toBe(true);
  });
});
