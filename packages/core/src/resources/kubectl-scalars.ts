/**
 * Plain YAML scalars typed as kubectl types them. kubectl (and Helm, Kyverno's CLI, kustomize)
 * read manifests with sigs.k8s.io/yaml, which converts YAML to JSON through go-yaml v2, a YAML
 * 1.1 reader: `yes`, `on` and `y` are true there, `0644` is the octal 420 and `1_000` is 1000,
 * where YAML 1.2's core schema keeps the first three as strings and reads 644 and "1_000".
 * A manifest is checked as what it deploys as: `privileged: yes` is `"privileged": true` in
 * the object the API server gets, so it must be true to the policies too, not a string that
 * `== true` finds false.
 *
 * What follows is go-yaml v2's `resolve` for an untagged plain scalar, step by step: a table
 * of exact words, then, by the first character, a float (`.`), or an int (through Go's
 * `strconv.ParseInt(s, 0, 64)` with `_` removed: `0x`, `0o`, `0b` and a leading `0` for octal),
 * an unsigned int, or a float of YAML's style. Timestamps stay strings (go-yaml gives them as
 * strings to an untyped target, and so to JSON). Quoted scalars are always strings.
 */

/** What a plain scalar is, by go-yaml v2's table of exact words (null, bools, the special floats). */
const WORDS = new Map<string, unknown>();
for (const w of ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]) WORDS.set(w, true);
for (const w of ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
  WORDS.set(w, false);
for (const w of ["", "~", "null", "Null", "NULL"]) WORDS.set(w, null);
for (const w of [".nan", ".NaN", ".NAN"]) WORDS.set(w, Number.NaN);
for (const w of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]) WORDS.set(w, Number.POSITIVE_INFINITY);
for (const w of ["-.inf", "-.Inf", "-.INF"]) WORDS.set(w, Number.NEGATIVE_INFINITY);

/** The characters go-yaml v2 looks further at (its resolve table); any other first character makes a string. */
function hintOf(c: string): "word" | "float" | "number" | undefined {
  if ("yYnNtTfFoO~".includes(c)) return "word";
  if (c === ".") return "float";
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) return "number";
  return undefined;
}

/** A YAML-style float (go-yaml v2's yamlStyleFloat), on the text with `_` removed. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/**
 * Go's decimal float syntax as strconv.ParseFloat takes it, without hexadecimal floats, `inf`
 * and `nan` (which go-yaml never hands it: its words are in the table, and a text that starts
 * with `.` cannot be one): digits with single `_` between them, an optional fraction, an
 * optional exponent.
 */
const GO_DECIMAL_FLOAT =
  /^[-+]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/;

/** `0`, or digits without a leading zero (and a `-`), short enough to be exact as a double. */
const PLAIN_DECIMAL = /^(?:0|-?[1-9][0-9]{0,14})$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(text, 0, 64) (or ParseUint when `unsigned`) on a text without `_`; undefined when it fails. */
function parseGoInteger(text: string, unsigned: boolean): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith("+") || rest.startsWith("-")) {
    // ParseUint takes no sign
    if (unsigned) return undefined;
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  let digits: RegExp;
  let prefix = "";
  if (/^0[xX]/.test(rest)) {
    digits = /^[0-9a-fA-F]+$/;
    prefix = "0x";
    rest = rest.slice(2);
  } else if (/^0[oO]/.test(rest)) {
    digits = /^[0-7]+$/;
    prefix = "0o";
    rest = rest.slice(2);
  } else if (/^0[bB]/.test(rest)) {
    digits = /^[01]+$/;
    prefix = "0b";
    rest = rest.slice(2);
  } else if (rest.length > 1 && rest.startsWith("0")) {
    digits = /^[0-7]+$/;
    prefix = "0o";
    rest = rest.slice(1);
  } else {
    digits = /^[0-9]+$/;
  }
  if (!digits.test(rest)) return undefined;
  const magnitude = BigInt(`${prefix}${rest}`);
  const value = negative ? -magnitude : magnitude;
  if (unsigned) return value <= UINT64_MAX ? value : undefined;
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/** A Go float64 parsed from decimal text: JavaScript's Number reads the same digits to the same double. */
function goFloat(text: string): number {
  return Number(text.replace(/_/g, ""));
}

/** The value kubectl's reader gives a plain scalar: null, a bool, a number, or the text itself. Never throws. */
export function kubectlPlainScalar(text: string): unknown {
  if (WORDS.has(text)) return WORDS.get(text);
  const hint = hintOf(text.charAt(0));
  if (hint === "float") {
    // go-yaml: strconv.ParseFloat on the text as written
    return GO_DECIMAL_FLOAT.test(text) ? goFloat(text) : text;
  }
  if (hint === "number") {
    // the common case, read at once: a decimal int without sign, leading zero or `_` that a
    // double holds exactly (ParseInt gives the same)
    if (PLAIN_DECIMAL.test(text)) return Number(text);
    const plain = text.includes("_") ? text.replace(/_/g, "") : text;
    const integer = parseGoInteger(plain, false) ?? parseGoInteger(plain, true);
    // an int as JSON carries it (go-yaml's int, int64 or uint64, marshalled as its digits);
    // past 2^53 the nearest double, as for every number celgate reads from JSON
    if (integer !== undefined) return Number(integer);
    if (YAML_STYLE_FLOAT.test(plain)) return goFloat(plain);
  }
  return text;
}
