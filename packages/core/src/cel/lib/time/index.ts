/**
 * Timestamps and durations as cel-go (so Kubernetes) has them, where cel-js differs:
 *
 * - conversions cel-js lacks: `string(timestamp)` (RFC 3339, UTC), `int(timestamp)` (Unix
 *   seconds), `string(duration)` (seconds with an `s` suffix), `int(duration)` (nanoseconds),
 *   and `duration('0')`, which Go's
 *   time.ParseDuration accepts and cel-js's built-in refuses;
 * - ranges: a timestamp lies in years 0001-9999 and a duration is a Go time.Duration
 *   (int64 nanoseconds, about ±292 years); arithmetic that leaves them fails as cel-go's does
 *   ("timestamp overflow", "integer overflow"), and `duration()` of a longer string fails;
 * - the timestamp accessors with a time zone (`getHours('Europe/Paris')`): cel-go's rules,
 *   an IANA name or a UTC offset such as `+11:00`, computed without the process's own zone
 *   (cel-js formats the date in the zone and parses it back in the local one, and takes
 *   names only);
 * - `duration + timestamp`, whose type cel-js declares as a duration (checkDurationPlusTimestamp).
 */
import type { Environment } from "@marcbachmann/cel-js";
import { Duration } from "@marcbachmann/cel-js/evaluator";
import { astNodes } from "../ast.js";
import type { FunctionDoc } from "../doc.js";
import type { CelAst } from "../hooks.js";
import {
  type BuiltinOverride,
  celError,
  FALLBACK,
  INT64_MAX,
  INT64_MIN,
  type OperatorOverride,
} from "../shared.js";
import { formatDuration, formatTimestamp } from "../strings/go-format.js";

const TIMESTAMP = "google.protobuf.Timestamp";
const DURATION = "google.protobuf.Duration";

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in milliseconds: cel-go's timestamp range. */
const MIN_TIMESTAMP_MS = -62_135_596_800_000;
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

function checkTimestamp(value: unknown): unknown {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) throw celError("timestamp overflow");
  }
  return value;
}

/** A duration must fit Go's time.Duration, int64 nanoseconds; cel-go's checked arithmetic reports an integer overflow. */
function checkDuration(value: unknown): unknown {
  if (value instanceof Duration) {
    const nanos = value.seconds * 1_000_000_000n + BigInt(value.nanos);
    if (nanos > INT64_MAX || nanos < INT64_MIN) throw celError("integer overflow");
  }
  return value;
}

const checkTimeValue = (value: unknown): unknown => checkDuration(checkTimestamp(value));

/** Timestamp and duration arithmetic within cel-go's ranges. */
export const timeOperatorOverrides: readonly OperatorOverride[] = [
  { op: "+", check: checkTimeValue },
  { op: "-", check: checkTimeValue },
];

/** Offsets of IANA zones come from Intl; a formatter per zone is kept, up to this many zones. */
const MAX_ZONES = 64;
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(zone);
  if (format) return format;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw celError(`unknown time zone ${shown(zone)}`);
  }
  if (zoneFormats.size >= MAX_ZONES) zoneFormats.clear();
  zoneFormats.set(zone, format);
  return format;
}

/** `text` for an error message, cut short if long (a zone name comes from the policy or the data). */
function shown(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

/** Go's strconv.Atoi: an optional sign and decimal digits. */
function atoi(text: string): number {
  if (!/^[+-]?\d{1,10}$/.test(text)) throw celError(`strconv.Atoi: parsing "${shown(text)}": invalid syntax`);
  return Number.parseInt(text, 10);
}

/**
 * The offset from UTC, in milliseconds, of `zone` at `date`, read as cel-go's timeZone() reads
 * it: with a colon, hours and minutes east of UTC (`+11:00`, `-02:30`, `02:00`); without, a
 * zone name for Go's time.LoadLocation (`UTC` and the empty name are UTC; IANA names).
 */
function zoneOffset(date: Date, zone: string): number {
  const colon = zone.indexOf(":");
  if (colon >= 0) {
    const hours = atoi(zone.slice(0, colon));
    const minutes = atoi(zone.slice(colon + 1));
    const offset = zone.startsWith("-") ? hours * 60 - minutes : hours * 60 + minutes;
    return offset * 60_000;
  }
  if (zone === "" || zone === "UTC") return 0;
  const parts: Record<string, string> = {};
  for (const part of zoneFormat(zone).formatToParts(date)) parts[part.type] = part.value;
  const year = Number(parts.year);
  const wall = new Date(0);
  wall.setUTCFullYear(parts.era === "BC" ? 1 - year : year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  const seconds = date.getTime() - (((date.getTime() % 1000) + 1000) % 1000);
  return wall.getTime() - seconds;
}

/** A Date whose UTC fields are the wall-clock fields of `date` in `zone` (UTC without one). */
function inZone(date: Date, zone: unknown): Date {
  if (zone === undefined) return date;
  if (typeof zone !== "string") throw celError("no such overload");
  return new Date(date.getTime() + zoneOffset(date, zone));
}

function dayOfYear(date: Date): number {
  const start = new Date(0);
  start.setUTCFullYear(date.getUTCFullYear(), 0, 1);
  return Math.floor((date.getTime() - start.getTime()) / 86_400_000);
}

const ACCESSORS: Readonly<Record<string, (date: Date) => number>> = {
  getFullYear: (d) => d.getUTCFullYear(),
  getMonth: (d) => d.getUTCMonth(),
  getDayOfYear: dayOfYear,
  getDate: (d) => d.getUTCDate(),
  getDayOfMonth: (d) => d.getUTCDate() - 1,
  getDayOfWeek: (d) => d.getUTCDay(),
  getHours: (d) => d.getUTCHours(),
  getMinutes: (d) => d.getUTCMinutes(),
  getSeconds: (d) => d.getUTCSeconds(),
  getMilliseconds: (d) => d.getUTCMilliseconds(),
};

/** The timestamp accessors, with or without a time zone; on a duration, cel-js's own. */
const accessorOverrides: BuiltinOverride[] = Object.entries(ACCESSORS).map(([name, read]) => ({
  method: true,
  name,
  apply: ([receiver, zone]) => (receiver instanceof Date ? BigInt(read(inZone(receiver, zone))) : FALLBACK),
}));

/**
 * Gives `duration + timestamp` the type timestamp, which it has in CEL (cel-js declares the
 * result a duration, though it computes a timestamp, so `d + t == t` is a type error there).
 * Wraps the type check of every `+` node of `root`; call before checking. Never throws.
 */
export function checkDurationPlusTimestamp(root: CelAst): void {
  for (const node of astNodes<PlusNode>(root)) {
    if (node.op !== "+" || !node.meta || retyped.has(node.meta)) continue;
    const check = node.meta.check;
    retyped.add(node.meta);
    node.meta.check = (checker, ast, ctx) => {
      const type = check(checker, ast, ctx);
      // the one overload with a timestamp on the right is cel-js's duration + timestamp
      const right = (ast.args as [PlusNode, PlusNode])[1];
      return (type as { name?: string }).name === DURATION && right.checkedType?.name === TIMESTAMP
        ? checker.getType(TIMESTAMP)
        : type;
    };
  }
}

interface PlusNode extends CelAst {
  checkedType?: { name: string };
  meta?: {
    check: (checker: { getType(name: string): unknown }, ast: PlusNode, ctx: unknown) => unknown;
  };
}

const retyped = new WeakSet<object>();

export function registerTimeLibrary(env: Environment): void {
  env.registerFunction(`string(${TIMESTAMP}): string`, (t: Date) => {
    if (Number.isNaN(t.getTime())) throw celError("invalid timestamp");
    return formatTimestamp(t);
  });
  env.registerFunction(`int(${TIMESTAMP}): int`, (t: Date) => BigInt(Math.floor(t.getTime() / 1000)));
  env.registerFunction(`string(${DURATION}): string`, (d: Duration) => formatDuration(d));
  // cel-go's DurationToInt: the duration in nanoseconds (a Go time.Duration)
  env.registerFunction(
    `int(${DURATION}): int`,
    (d: Duration) => d.seconds * 1_000_000_000n + BigInt(d.nanos),
  );
  // the standard library's identity conversions
  env.registerFunction(`timestamp(${TIMESTAMP}): ${TIMESTAMP}`, (t: Date) => t);
  env.registerFunction(`duration(${DURATION}): ${DURATION}`, (d: Duration) => d);
}

/**
 * Go's time.ParseDuration takes a bare zero, signed or not, without a unit, and refuses a
 * duration beyond int64 nanoseconds; the timestamp accessors (above).
 */
export const timeOverrides: readonly BuiltinOverride[] = [
  {
    method: false,
    name: "duration",
    apply: ([text]) => (text === "0" || text === "+0" || text === "-0" ? new Duration(0n, 0) : FALLBACK),
    check: (result) => {
      try {
        return checkDuration(result);
      } catch {
        throw celError("invalid duration: out of range");
      }
    },
  },
  ...accessorOverrides,
];

export const timeFunctions: FunctionDoc[] = [
  {
    signature: "string(<timestamp>) -> <string>",
    description: "The timestamp in RFC 3339 form, in UTC.",
    example: "string(timestamp('2026-11-20T10:00:00Z'))",
    result: "'2026-11-20T10:00:00Z'",
  },
  {
    signature: "int(<timestamp>) -> <int>",
    description: "Seconds since the Unix epoch.",
    example: "int(timestamp('1970-01-02T00:00:00Z'))",
    result: "86400",
  },
  {
    signature: "int(<duration>) -> <int>",
    description: "The duration in nanoseconds, as cel-go converts it.",
    example: "int(duration('1.5s'))",
    result: "1500000000",
  },
  {
    signature: "string(<duration>) -> <string>",
    description: "The duration in seconds, with an `s` suffix, as cel-go prints it.",
    example: "string(duration('1h30m'))",
    result: "'5400s'",
  },
  {
    signature: "<timestamp>.getHours(<zone>) -> <int>",
    description:
      "The hour in a time zone given as an IANA name or a UTC offset (`+05:30`, `-02:00`), as cel-go reads it; the same for getFullYear, getMonth, getDayOfYear, getDate, getDayOfMonth, getDayOfWeek, getMinutes, getSeconds and getMilliseconds. Without a zone, UTC.",
    example: "timestamp('2026-07-01T12:00:00Z').getHours('+05:30')",
    result: "17",
  },
  {
    signature: "<duration> + <timestamp> -> <timestamp>",
    description:
      "The timestamp moved by the duration, in either order. A result outside years 0001-9999 is an error, as is a duration beyond about ±292 years (Go's time.Duration).",
    example: "duration('1h') + timestamp('2026-01-01T00:00:00Z') == timestamp('2026-01-01T01:00:00Z')",
    result: "true",
  },
  {
    signature: "duration(<string>) -> <duration>",
    description:
      "Parses a Go duration such as `1h30m`, `90s` or `-1.5h` (units h, m, s, ms, us, ns); a bare `0` needs no unit.",
    example: "duration('0') == duration('0s')",
    result: "true",
  },
];
