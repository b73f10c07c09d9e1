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

/** `KEY=VALUE` pairs, as given to --context. */
export function keyValues(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new InputError(`${flag} ${JSON.stringify(item)}: expected KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * `POLICY.NAME=JSON` pairs, as given to --param; a value that is not JSON is taken as a string.
 */
export function policyParams(values: readonly string[] | undefined): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : "";
    const dot = key.lastIndexOf(".");
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
    out[policy] ??= {};
    out[policy][key.slice(dot + 1)] = value;
  }
  return out;
}

/** An RFC 3339 timestamp flag. */
export function timestampFlag(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
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
