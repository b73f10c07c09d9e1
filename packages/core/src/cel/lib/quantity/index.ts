/**
 * Kubernetes resource quantities (k8s.io/apiserver/pkg/cel/library/quantity.go), with exact
 * arithmetic: a Quantity holds its value as a whole number of nano-units (bigint), which is
 * exactly what Kubernetes keeps after parsing (it rounds up to 1n precision).
 */
import { type Environment, EvaluationError } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celError, INT64_MAX, INT64_MIN } from "../shared.js";

const NANO = 1_000_000_000n;
/** Kubernetes caps binary-suffixed quantities at 2^63-1 (resource.maxAllowed). */
const MAX_BINARY_NANOS = INT64_MAX * NANO;
/** Beyond this many decimal digits a quantity is refused instead of built (Kubernetes has no cap). */
const MAX_DIGITS = 1_000;

const FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_ERROR = "unable to parse quantity's suffix";

const DECIMAL_SUFFIXES: Record<string, number> = {
  "": 0,
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** A Kubernetes resource quantity such as `500m` or `2Gi`. Immutable. */
export class Quantity {
  readonly celType = "kubernetes.Quantity";

  /** @param nanos the value in nano-units: `quantity('1')` is 1_000_000_000n. */
  constructor(readonly nanos: bigint) {}

  compareTo(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: unknown): boolean {
    return other instanceof Quantity && other.nanos === this.nanos;
  }

  /** True if the value is a whole number that fits a CEL int. */
  isInteger(): boolean {
    if (this.nanos % NANO !== 0n) return false;
    const units = this.nanos / NANO;
    return units >= INT64_MIN && units <= INT64_MAX;
  }

  /** The value as a double; may lose precision, as Kubernetes' AsApproximateFloat64 does. */
  toNumber(): number {
    if (this.nanos % NANO === 0n) return Number(this.nanos / NANO);
    return Number(this.nanos) / 1e9;
  }

  /** Plain decimal text, e.g. `0.5` or `2147483648`; not Kubernetes' canonical suffix form. */
  toString(): string {
    const sign = this.nanos < 0n ? "-" : "";
    const abs = this.nanos < 0n ? -this.nanos : this.nanos;
    const fraction = (abs % NANO).toString().padStart(9, "0").replace(/0+$/, "");
    return `${sign}${abs / NANO}${fraction ? `.${fraction}` : ""}`;
  }
}

/** Divides rounding away from zero, as Kubernetes rounds quantities up to nano precision. */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  if (quotient * denominator === numerator) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

/**
 * Parses a quantity as Kubernetes' resource.ParseQuantity does: a signed decimal number with
 * an optional SI suffix (n u m k M G T P E), binary suffix (Ki Mi Gi Ti Pi Ei) or decimal
 * exponent (e3, E-2). Throws an Error with Kubernetes' message if the text is not a quantity.
 * A YAML integer (bigint) or number is read through its decimal text.
 */
export function parseQuantity(text: string | bigint | number): Quantity {
  if (typeof text === "bigint") return new Quantity(text * NANO);
  if (typeof text === "number") {
    if (!Number.isFinite(text)) throw celError(FORMAT_ERROR);
    return parseQuantity(String(text));
  }
  // only short texts are kept: a quantity is a few characters, and an input's long strings must not stay in memory
  if (text.length > MAX_KEPT_LENGTH) return parseText(text);
  const known = parsed.get(text);
  if (known !== undefined) {
    if (known instanceof Quantity) return known;
    throw celError(known);
  }
  let quantity: Quantity;
  try {
    quantity = parseText(text);
  } catch (error) {
    // a refusal is remembered by its message: each call throws an error of its own, to which
    // cel-js attaches the position of the call that made it
    if (error instanceof EvaluationError) {
      if (parsed.size >= MAX_PARSED) parsed.clear();
      parsed.set(text, error.message);
    }
    throw error;
  }
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(text, quantity);
  return quantity;
}

/**
 * Quantities (immutable) and the messages of refused texts, by text: a manifest's `500m` is
 * read by several policies (`isQuantity(x) && quantity(x)...`), and parsed once. Bounded.
 */
const parsed = new Map<string, Quantity | string>();
const MAX_PARSED = 10_000;
const MAX_KEPT_LENGTH = 64;

function parseText(text: string): Quantity {
  const match = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text);
  const [, sign = "", whole = "", fraction = "", suffix = ""] = match ?? [];
  // Kubernetes documents quantity('Mi') as an error: a number needs at least one digit.
  if (!match || whole.length + fraction.length === 0 || !/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) {
    throw celError(FORMAT_ERROR);
  }
  const digits = BigInt(`${whole}${fraction}` || "0");
  // value = digits * 10^decimalExponent * 2^binaryExponent
  let decimalExponent = -fraction.length;
  let binaryExponent = 0;
  let binary = false;
  const decimal = DECIMAL_SUFFIXES[suffix];
  const binaryPower = BINARY_SUFFIXES[suffix];
  if (decimal !== undefined) decimalExponent += decimal;
  else if (binaryPower !== undefined) {
    binaryExponent = binaryPower;
    binary = true;
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) > MAX_DIGITS) throw celError(`quantity exponent out of range: ${text}`);
    decimalExponent += exponent;
  } else throw celError(SUFFIX_ERROR);

  // Scale to nano-units: multiply by 10^(decimalExponent + 9), rounding any remainder away from zero.
  const scale = decimalExponent + 9;
  let nanos = digits * 2n ** BigInt(binaryExponent);
  if (scale >= 0) {
    if (digits !== 0n && whole.length + scale > MAX_DIGITS) throw celError(`quantity too large: ${text}`);
    nanos *= 10n ** BigInt(scale);
  } else if (-scale > nanos.toString().length + 1) {
    nanos = nanos === 0n ? 0n : 1n; // far below one nano-unit: rounds up to the smallest quantity
  } else {
    nanos = divideAwayFromZero(nanos, 10n ** BigInt(-scale));
  }
  if (binary && nanos > MAX_BINARY_NANOS) nanos = MAX_BINARY_NANOS;
  return new Quantity(sign === "-" ? -nanos : nanos);
}

/** Compares two quantities (or quantity texts): -1, 0 or 1. Throws on an invalid quantity text. */
export function compareQuantities(
  a: Quantity | string | bigint | number,
  b: Quantity | string | bigint | number,
) {
  const left = a instanceof Quantity ? a : parseQuantity(a);
  const right = b instanceof Quantity ? b : parseQuantity(b);
  return left.compareTo(right);
}

function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}

/** Registers `quantity`, `isQuantity`, the Quantity methods and Quantity equality. */
export function registerQuantityLibrary(env: Environment): void {
  const Q = "kubernetes.Quantity";
  env.registerType(Q, Quantity);
  env.registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => a.equals(b));
  env.registerFunction(`quantity(string): ${Q}`, (text: string) => parseQuantity(text));
  env.registerFunction("isQuantity(string): bool", isQuantity);
  env.registerFunction(`${Q}.isInteger(): bool`, (q: Quantity) => q.isInteger());
  env.registerFunction(`${Q}.asInteger(): int`, (q: Quantity) => {
    if (!q.isInteger()) throw celError("cannot convert value to integer");
    return q.nanos / NANO;
  });
  env.registerFunction(`${Q}.asApproximateFloat(): double`, (q: Quantity) => q.toNumber());
  env.registerFunction(`${Q}.sign(): int`, (q: Quantity) => (q.nanos > 0n ? 1n : q.nanos < 0n ? -1n : 0n));
  env.registerFunction(`${Q}.add(${Q}): ${Q}`, (a: Quantity, b: Quantity) => new Quantity(a.nanos + b.nanos));
  env.registerFunction(`${Q}.add(int): ${Q}`, (a: Quantity, n: bigint) => new Quantity(a.nanos + n * NANO));
  env.registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: Quantity, b: Quantity) => new Quantity(a.nanos - b.nanos));
  env.registerFunction(`${Q}.sub(int): ${Q}`, (a: Quantity, n: bigint) => new Quantity(a.nanos - n * NANO));
  env.registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compareTo(b) === 1);
  env.registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compareTo(b) === -1);
  env.registerFunction(`${Q}.compareTo(${Q}): int`, (a: Quantity, b: Quantity) => BigInt(a.compareTo(b)));
}

export const quantityFunctions: FunctionDoc[] = [
  {
    signature: "quantity(<string>) -> <Quantity>",
    description:
      "Parses a Kubernetes resource quantity: a decimal number with an optional suffix (n u m k M G T P E, Ki Mi Gi Ti Pi Ei) or exponent (1e3). Invalid text is an error. A YAML integer is converted with `quantity(string(x))`.",
    example: "quantity('1.5G') == quantity('1500M')",
    result: "true",
  },
  {
    signature: "isQuantity(<string>) -> <bool>",
    description: "True if and only if `quantity()` accepts the string.",
    example: "isQuantity('200K')",
    result: "false",
  },
  {
    signature: "<Quantity> == <Quantity> -> <bool>",
    description: "Quantities are equal when their values are, whatever the suffix.",
    example: "quantity('2048Mi') == quantity('2Gi')",
    result: "true",
  },
  {
    signature: "<Quantity>.isInteger() -> <bool>",
    description: "True if `asInteger()` succeeds: the value is whole and fits an int.",
    example: "quantity('50k').isInteger()",
    result: "true",
  },
  {
    signature: "<Quantity>.asInteger() -> <int>",
    description: "The value as an int; an error if it has a fraction or overflows.",
    example: "quantity('50k').asInteger()",
    result: "50000",
  },
  {
    signature: "<Quantity>.asApproximateFloat() -> <double>",
    description: "The value as a double, which may lose precision.",
    example: "quantity('50.703k').asApproximateFloat()",
    result: "50703.0",
  },
  {
    signature: "<Quantity>.sign() -> <int>",
    description: "1 if the quantity is positive, -1 if negative, 0 if zero.",
    example: "quantity('-10m').sign()",
    result: "-1",
  },
  {
    signature: "<Quantity>.add(<Quantity | int>) -> <Quantity>",
    description: "The sum of two quantities, or of a quantity and an int (in units).",
    example: "quantity('50k').add(20) == quantity('50020')",
    result: "true",
  },
  {
    signature: "<Quantity>.sub(<Quantity | int>) -> <Quantity>",
    description: "The difference of two quantities, or of a quantity and an int (in units).",
    example: "quantity('50k').sub(quantity('20')) == quantity('49.98k')",
    result: "true",
  },
  {
    signature: "<Quantity>.isGreaterThan(<Quantity>) -> <bool>",
    description: "True if the receiver is greater than the argument.",
    example: "quantity('50Mi').isGreaterThan(quantity('50M'))",
    result: "true",
  },
  {
    signature: "<Quantity>.isLessThan(<Quantity>) -> <bool>",
    description: "True if the receiver is less than the argument.",
    example: "quantity('50M').isLessThan(quantity('50Mi'))",
    result: "true",
  },
  {
    signature: "<Quantity>.compareTo(<Quantity>) -> <int>",
    description: "0 if equal, 1 if the receiver is greater, -1 if it is less.",
    example: "quantity('200M').compareTo(quantity('0.2G'))",
    result: "0",
  },
];
