/**
 * `<string>.format(<list>)` as Kubernetes evaluates it: cel-go's strings extension at version 2
 * (ext/formatting.go, "v1" formatting, en_US locale). Quirks kept on purpose so messages read
 * the same as in a cluster: lists and maps quote their strings (`["a", "b"]`) and print doubles
 * with six decimals, `%f` groups thousands (`1,234.500000`) and prints infinity as `∞`, and
 * `%e` prints `2.718280 × 10⁰⁰` with six decimals whatever precision is asked for.
 */
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { celError, celTypeName, isCelMap, isTypeValue, mapEntries } from "../shared.js";
import {
  formatDuration,
  formatFixed,
  formatFloatShortest,
  formatTimestamp,
  goQuote,
  roundSignificant,
} from "./go-format.js";

const DEFAULT_PRECISION = 6;
/**
 * Kubernetes' strings version 2 has no precision limit (cel-go added one of 100 in version 5).
 * This bound is a resource limit only: no policy asks for a million decimals, and one call must
 * not allocate megabytes.
 */
export const MAX_PRECISION = 1_000_000;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

type Clause = (arg: unknown) => string;

/** Formats `template` with `args`; throws a CEL error with cel-go's message on a bad clause or argument. */
export function formatString(template: string, args: readonly unknown[]): string {
  let out = "";
  let argIndex = 0;
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    if (char !== "%") {
      out += char;
      i++;
      continue;
    }
    if (template[i + 1] === "%") {
      out += "%";
      i += 2;
      continue;
    }
    if (argIndex >= args.length) throw celError(`index ${argIndex} out of range`);
    if (i + 1 >= template.length) throw celError("unexpected end of string");
    const { clause, length } = parseClause(template, i + 1);
    try {
      out += clause(args[argIndex]);
    } catch (error) {
      throw celError(`error during formatting: ${(error as Error).message}`);
    }
    i += 1 + length;
    argIndex++;
  }
  return out;
}

/**
 * The verb of each clause of `template` (`s`, `d`, `f`, ...), one per argument it consumes.
 * Throws a CEL error with cel-go's message for a clause it cannot parse. Used to check literal
 * format calls at compile time.
 */
export function formatClauseVerbs(template: string): string[] {
  const verbs: string[] = [];
  let i = 0;
  while (i < template.length) {
    if (template[i] !== "%") {
      i++;
      continue;
    }
    if (template[i + 1] === "%") {
      i += 2;
      continue;
    }
    if (i + 1 >= template.length) throw celError("unexpected end of string");
    const { length } = parseClause(template, i + 1);
    verbs.push(template[i + length] ?? "");
    i += 1 + length;
  }
  return verbs;
}

/** Parses `[.precision]verb` at `start`: the clause and how many characters it used. */
function parseClause(template: string, start: number): { clause: Clause; length: number } {
  let i = start;
  let precision: number | undefined;
  if (template[i] === ".") {
    i++;
    const digitsStart = i;
    while (i < template.length && /[0-9]/.test(template[i] ?? "")) i++;
    if (i >= template.length) {
      throw celError(
        "could not parse formatting clause: error while parsing precision: could not find end of precision specifier",
      );
    }
    const digits = template.slice(digitsStart, i);
    if (digits === "") {
      throw celError(
        'could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax',
      );
    }
    precision = Number(digits);
    if (precision > MAX_PRECISION) {
      throw celError(
        `could not parse formatting clause: precision ${digits} is larger than celgate's resource limit of ${MAX_PRECISION}`,
      );
    }
  }
  const verb = template[i] ?? "";
  const clauses: Record<string, Clause> = {
    s: formatAsString,
    d: formatDecimal,
    f: (arg) => formatFixedClause(arg, precision ?? DEFAULT_PRECISION),
    e: formatScientific,
    b: formatBinary,
    x: (arg) => formatHex(arg, false),
    X: (arg) => formatHex(arg, true),
    o: formatOctal,
  };
  const clause = clauses[verb];
  if (!clause) {
    throw celError(`could not parse formatting clause: unrecognized formatting clause "${verb}"`);
  }
  return { clause, length: i + 1 - start };
}

function intValue(arg: unknown): bigint | undefined {
  if (typeof arg === "bigint") return arg;
  if (arg instanceof UnsignedInt) return arg.value;
  return undefined;
}

/** `%s`: cel-go's FormatString. */
function formatAsString(arg: unknown): string {
  if (Array.isArray(arg)) return formatList(arg);
  if (arg === null || arg === undefined) return "null";
  const text = scalarText(arg);
  if (text !== undefined) return text;
  if (isCelMap(arg)) return formatMap(arg);
  throw new Error(
    `string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${celTypeName(arg)}`,
  );
}

/** The string() conversion of a scalar, or undefined if `arg` is not one. */
function scalarText(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  if (typeof arg === "boolean") return String(arg);
  const int = intValue(arg);
  if (int !== undefined) return int.toString();
  if (typeof arg === "number") return formatFloatShortest(arg);
  if (arg instanceof Uint8Array) return utf8Decoder.decode(arg);
  if (arg instanceof Date) return formatTimestamp(arg);
  if (arg instanceof Duration) return formatDuration(arg);
  if (isTypeValue(arg)) return arg.name;
  return undefined;
}

/** A list or map member, written as cel-go's formatList/formatMap write it (CEL-literal-like). */
function formatMember(value: unknown): string {
  if (Array.isArray(value)) return formatList(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goQuote(value);
  if (value instanceof Uint8Array) return `b${goQuote(utf8Decoder.decode(value))}`;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return '"NaN"';
    if (!Number.isFinite(value)) return value > 0 ? '"+Inf"' : '"-Inf"';
    return formatFixed(value, DEFAULT_PRECISION);
  }
  if (value instanceof Date) return `timestamp(${goQuote(formatTimestamp(value))})`;
  if (value instanceof Duration) return `duration(${goQuote(formatDuration(value))})`;
  const text = scalarText(value);
  if (text !== undefined) return text;
  if (isCelMap(value)) return formatMap(value);
  throw new Error(`no formatting function for ${celTypeName(value)}`);
}

function formatList(list: readonly unknown[]): string {
  return `[${list.map(formatMember).join(", ")}]`;
}

function formatMap(map: Map<unknown, unknown> | Record<string, unknown>): string {
  const pairs = mapEntries(map).map(([key, value]) => {
    let keyText: string;
    if (typeof key === "string") keyText = goQuote(key);
    else if (typeof key === "boolean" || intValue(key) !== undefined) keyText = String(intValue(key) ?? key);
    else throw new Error(`no formatting function for map key of type ${celTypeName(key)}`);
    return { keyText, valueText: formatMember(value) };
  });
  // Go sorts the rendered keys as byte strings.
  pairs.sort((a, b) => (a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0));
  return `{${pairs.map((p) => `${p.keyText}:${p.valueText}`).join(", ")}}`;
}

function formatDecimal(arg: unknown): string {
  const int = intValue(arg);
  if (int === undefined)
    throw new Error(`decimal clause can only be used on integers, was given ${celTypeName(arg)}`);
  return int.toString();
}

/** `%f` and `%e` also take the strings "NaN", "Infinity" and "-Infinity". */
function doubleArgument(arg: unknown, clause: string): number {
  if (typeof arg === "number") return arg;
  if (arg === "NaN") return Number.NaN;
  if (arg === "Infinity") return Number.POSITIVE_INFINITY;
  if (arg === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new Error(`${clause} clause can only be used on doubles, was given ${celTypeName(arg)}`);
}

/** en_US number text of non-finite values, as golang.org/x/text/message prints them. */
function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "-∞";
  return undefined;
}

function formatFixedClause(arg: unknown, precision: number): string {
  const x = doubleArgument(arg, "fixed-point");
  const special = nonFinite(x);
  if (special) return special;
  const text = formatFixed(x, precision);
  // en_US grouping of the integer part: 1234567.5 -> 1,234,567.5
  return text.replace(
    /^(-?)(\d+)/,
    (_, sign: string, digits: string) => sign + digits.replace(/\B(?=(\d{3})+$)/g, ","),
  );
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

function formatScientific(arg: unknown): string {
  const x = doubleArgument(arg, "scientific");
  const special = nonFinite(x);
  if (special) return special;
  // cel-go builds the verb "%6e" from the precision (a width, not a precision): always six decimals.
  const { digits, exponent } = roundSignificant(Math.abs(x), DEFAULT_PRECISION + 1);
  const mantissa = `${digits[0]}.${digits.slice(1)}`;
  const power = String(Math.abs(exponent))
    .padStart(2, "0")
    .replace(/[0-9]/g, (d) => SUPERSCRIPT[Number(d)] ?? d);
  return `${x < 0 ? "-" : ""}${mantissa}\u202f×\u202f10${exponent < 0 ? "⁻" : ""}${power}`;
}

function formatBinary(arg: unknown): string {
  if (typeof arg === "boolean") return arg ? "1" : "0";
  const int = intValue(arg);
  if (int === undefined) {
    throw new Error(`only integers and bools can be formatted as binary, was given ${celTypeName(arg)}`);
  }
  return int.toString(2);
}

function formatHex(arg: unknown, upper: boolean): string {
  let text: string;
  const int = intValue(arg);
  if (int !== undefined) text = int.toString(16);
  else if (typeof arg === "string" || arg instanceof Uint8Array) {
    const bytes = typeof arg === "string" ? utf8.encode(arg) : arg;
    text = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  } else {
    throw new Error(
      `only integers, byte buffers, and strings can be formatted as hex, was given ${celTypeName(arg)}`,
    );
  }
  return upper ? text.toUpperCase() : text;
}

function formatOctal(arg: unknown): string {
  const int = intValue(arg);
  if (int === undefined)
    throw new Error(`octal clause can only be used on integers, was given ${celTypeName(arg)}`);
  return int.toString(8);
}
