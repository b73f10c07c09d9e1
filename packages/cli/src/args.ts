import { type ParseArgsConfig, parseArgs } from "node:util";
import { InputError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's flags strictly; an unknown flag or a missing value is an InputError (exit 2). */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // Node's own text for an unknown option ends in an unbalanced quote; say it in our words.
    const unknown = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'([^']*)'/.exec(message)?.[1] : undefined;
    if (unknown !== undefined) {
      throw new InputError(
        `${command}: unknown option ${unknown} (see celgate ${command} --help; a path that starts with "-" goes after "--")`,
      );
    }
    const reason = message.replace(/^TypeError \[[A-Z_]+\]: /, "").split("\n")[0];
    throw new InputError(`${command}: ${reason} (see celgate ${command} --help)`);
  }
}

/**
 * `KEY=VALUE` pairs, as given to --context. Every key is an own property of the result, even
 * `__proto__` or `constructor` (which an assignment would take for Object's own).
 */
export function keyValues(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out = new Map<string, string>();
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new InputError(`${flag} ${JSON.stringify(item)}: expected KEY=VALUE`);
    out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return Object.fromEntries(out);
}

/**
 * `POLICY.NAME=JSON` pairs, as given to --param; a value that is not JSON is taken as a string.
 * POLICY ends at the first dot (a policy name is a DNS-1123 label, which has none), so a NAME
 * may hold dots: `p.a.b=1` sets the param `a.b` of policy `p`.
 * Every POLICY and NAME is an own property of the result, even `__proto__` or `constructor`
 * (so that the caller sees, and refuses, a policy of that name rather than Object's own).
 */
export function policyParams(values: readonly string[] | undefined): Record<string, Record<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : "";
    const dot = key.indexOf(".");
    if (eq <= 0 || dot <= 0 || dot === key.length - 1) {
      throw new InputError(
        `--param ${JSON.stringify(item)}: expected POLICY.NAME=JSON, e.g. image-allowed-registries.registries='["r.example"]'`,
      );
    }
    const raw = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    const policy = key.slice(0, dot);
    if (!out.has(policy)) out.set(policy, new Map());
    out.get(policy)!.set(key.slice(dot + 1), value);
  }
  return Object.fromEntries([...out].map(([policy, params]) => [policy, Object.fromEntries(params)]));
}

/**
 * Params of the --params file with the --param ones over them, policy by policy; every name an
 * own property, as in `policyParams`.
 */
export function mergeParams(
  base: Record<string, Record<string, unknown>>,
  overrides: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out = new Map(Object.entries(base));
  for (const [policy, params] of Object.entries(overrides))
    out.set(
      policy,
      Object.fromEntries([...Object.entries(out.get(policy) ?? {}), ...Object.entries(params)]),
    );
  return Object.fromEntries(out);
}

/**
 * An RFC 3339 timestamp flag: a date-time with its offset (`2026-06-01T00:00:00Z`,
 * `2026-06-01T02:00:00+02:00`), or a date alone (midnight UTC). A date-time without an offset
 * (which JavaScript reads in the local time zone) or a day the calendar does not have
 * (`2026-02-30`, which it moves to March) is refused, not taken for another time.
 */
export function timestampFlag(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2})))?$/.exec(
      value,
    );
  const date = new Date(value);
  const [year, month, day, hour, minute, second, , offsetHour, offsetMinute] = (m?.slice(1) ?? []).map(
    Number,
  );
  const valid =
    m !== null &&
    !Number.isNaN(date.getTime()) &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    // day 0 of the next month is the last of this one
    day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
    (m[4] === undefined || (hour! <= 23 && minute! <= 59 && second! <= 60)) &&
    (m[7] === undefined || (offsetHour! <= 23 && offsetMinute! <= 59));
  if (!valid) {
    throw new InputError(
      `${flag} ${JSON.stringify(value)}: expected an RFC 3339 timestamp such as 2026-06-01T00:00:00Z`,
    );
  }
  return date;
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
  flag: string,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${flag} ${JSON.stringify(value)}: expected one of ${allowed.join(", ")}`);
}
