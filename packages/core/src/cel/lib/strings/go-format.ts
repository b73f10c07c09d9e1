/**
 * Go's text renderings of values, which CEL's string functions expose: strconv.Quote,
 * strconv.FormatFloat ('g' and 'f' shortest, '%.Nf' with round-half-even on the exact binary
 * value), RFC 3339 timestamps and protobuf durations.
 */
import type { Duration } from "@marcbachmann/cel-js/evaluator";

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
/** The backslash escapes Go and CEL string literals share. */
export const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** Go's strconv.Quote: a double-quoted Go string literal. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const named = NAMED_ESCAPES[char];
    if (named) out += named;
    else if (PRINTABLE.test(char)) out += char;
    else {
      const code = char.codePointAt(0) ?? 0;
      const hex = code.toString(16);
      if (code < 0x80) out += `\\x${hex.padStart(2, "0")}`;
      else if (code < 0x10000) out += `\\u${hex.padStart(4, "0")}`;
      else out += `\\U${hex.padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}

/** The shortest decimal digits that round-trip `x` (finite, non-negative) and the decimal point position. */
function shortestDigits(x: number): { digits: string; point: number } {
  if (x === 0) return { digits: "0", point: 1 };
  const [mantissa = "0", exponent = "0"] = x.toExponential().split("e");
  return { digits: mantissa.replace(".", ""), point: Number(exponent) + 1 };
}

/** Places `digits` around the decimal point as fixed notation, padding with zeros. */
function placeDigits(digits: string, point: number, fractionDigits: number): string {
  const whole = point <= 0 ? "0" : digits.slice(0, point).padEnd(point, "0");
  const fraction = (point < 0 ? "0".repeat(-point) + digits : digits.slice(Math.max(point, 0)))
    .padEnd(fractionDigits, "0")
    .slice(0, fractionDigits);
  return fractionDigits > 0 ? `${whole}.${fraction}` : whole;
}

/**
 * Go's strconv.FormatFloat(x, 'g', -1, 64), which cel-go uses for string(double): shortest
 * digits, in exponent form when the exponent is below -4 or at least 6 (`1e+06`, `2e-09`).
 */
export function formatFloatShortest(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const { digits, point } = shortestDigits(Math.abs(x));
  const exponent = point - 1;
  if (exponent < -4 || exponent >= 6) return sign + scientific(digits, exponent);
  return sign + placeDigits(digits, point, Math.max(digits.length - point, 0));
}

function scientific(digits: string, exponent: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const abs = Math.abs(exponent);
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${abs < 10 ? `0${abs}` : abs}`;
}

/** The exact decimal expansion of a finite, non-negative double: integer digits and fraction digits. */
function exactDecimal(x: number): { whole: string; fraction: string } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = biased - 1075;
  if (biased === 0) exponent = -1074;
  else mantissa |= 1n << 52n;
  if (exponent >= 0) return { whole: (mantissa << BigInt(exponent)).toString(), fraction: "" };
  // mantissa / 2^k == mantissa * 5^k / 10^k
  const k = -exponent;
  const scaled = (mantissa * 5n ** BigInt(k)).toString().padStart(k + 1, "0");
  return { whole: scaled.slice(0, -k), fraction: scaled.slice(-k) };
}

/** Go's fmt `%.{precision}f` of a finite double: exact value, rounded half to even. */
export function formatFixed(x: number, precision: number): string {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const { whole, fraction } = exactDecimal(Math.abs(x));
  // every digit of the exact value is kept: no rounding, only zeros to pad (cheap at any precision)
  if (fraction.length <= precision) {
    return sign + (precision > 0 ? `${whole}.${fraction.padEnd(precision, "0")}` : whole);
  }
  const kept = fraction.slice(0, precision);
  const rest = fraction.slice(precision);
  let digits = BigInt(whole + kept);
  if (rest[0] !== undefined && rest[0] >= "5" && (!/^50*$/.test(rest) || digits % 2n === 1n)) digits += 1n;
  const text = digits.toString().padStart(precision + 1, "0");
  const intPart = text.slice(0, text.length - precision);
  return sign + (precision > 0 ? `${intPart}.${text.slice(-precision)}` : intPart);
}

/** Rounds a finite non-negative double to `significant` digits (half to even): digits and exponent. */
export function roundSignificant(x: number, significant: number): { digits: string; exponent: number } {
  if (x === 0) return { digits: "0".repeat(significant), exponent: 0 };
  const { whole, fraction } = exactDecimal(x);
  const leading = whole === "0" ? fraction.search(/[1-9]/) : 0;
  const all = whole === "0" ? fraction.slice(leading) : whole + fraction;
  let exponent = whole === "0" ? -(leading + 1) : whole.length - 1;
  const rest = all.slice(significant);
  let digits = BigInt(all.slice(0, significant).padEnd(significant, "0"));
  if (rest[0] !== undefined && rest[0] >= "5" && (!/^50*$/.test(rest) || digits % 2n === 1n)) digits += 1n;
  let text = digits.toString();
  if (text.length > significant) {
    text = text.slice(0, significant);
    exponent += 1;
  }
  return { digits: text, exponent };
}

/** cel-go's string(timestamp): RFC 3339 in UTC with the fraction trimmed of trailing zeros. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, "Z");
}

/** cel-go's string(duration): seconds with the shortest fraction, e.g. `6347s` or `0.000000002s`. */
export function formatDuration(duration: Duration): string {
  const nanos = duration.seconds * 1_000_000_000n + BigInt(duration.nanos);
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${abs / 1_000_000_000n}${fraction ? `.${fraction}` : ""}s`;
}
