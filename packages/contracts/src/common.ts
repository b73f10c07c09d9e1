import { z } from "zod";

/**
 * The times the service stores and reads back as they were sent: both databases' drivers read a
 * year below 100 as 19xx, and PostgreSQL refuses years past 9999 or before 1 AD.
 */
export const STORABLE_TIMES = {
  first: new Date("1970-01-01T00:00:00.000Z"),
  last: new Date("9999-12-31T23:59:59.999Z"),
} as const;

/** Undefined when `date` lies in STORABLE_TIMES; else why not, for a field error's message. */
export function unstorableTime(date: Date): string | undefined {
  const t = date.getTime();
  if (t >= STORABLE_TIMES.first.getTime() && t <= STORABLE_TIMES.last.getTime()) return undefined;
  return `must be a time from ${STORABLE_TIMES.first.toISOString()} to ${STORABLE_TIMES.last.toISOString()}`;
}

/** An RFC 3339 time with its offset, within STORABLE_TIMES (an evaluation's clock, a token's expiry). */
export const StorableTimeSchema = z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
  const why = unstorableTime(new Date(value));
  if (why !== undefined) ctx.addIssue({ code: "custom", message: `${why}, not ${value}` });
});

/** The first time a query's bound may be: PostgreSQL holds no year 0 (JavaScript does). */
export const FIRST_QUERY_TIME = new Date("0001-01-01T00:00:00.000Z");

/**
 * An RFC 3339 time with its offset that a query may compare with (a list's since/until): any
 * time PostgreSQL holds, from the year 1 (`since=0001-01-01T00:00:00Z` asks for everything) to
 * the last storable time.
 */
export const QueryTimeSchema = z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
  const t = new Date(value).getTime();
  if (t < FIRST_QUERY_TIME.getTime() || t > STORABLE_TIMES.last.getTime())
    ctx.addIssue({
      code: "custom",
      message: `must be a time from ${FIRST_QUERY_TIME.toISOString()} to ${STORABLE_TIMES.last.toISOString()}, not ${value}`,
    });
});

/** RFC 9457 problem details, the one error envelope of the API. */
export const ProblemFieldErrorSchema = z
  .object({
    path: z.string().optional(),
    message: z.string(),
    /** 0-based index of the document in what `path` names, for a whole document (one skipped). */
    document: z.number().int().nonnegative().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    code: z.string().optional(),
  })
  .meta({ id: "ProblemFieldError" });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string(),
    errors: z.array(ProblemFieldErrorSchema).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details (application/problem+json)." });
export type Problem = z.infer<typeof ProblemSchema>;

/**
 * The problem type (last path segment) of a request whose `select` or `policies` match no
 * policy: a 400 that clients can tell apart from other input errors.
 */
export const SELECTION_PROBLEM_TYPE = "selection-matches-nothing";
export type ProblemFieldError = z.infer<typeof ProblemFieldErrorSchema>;

export const MAX_PAGE_LIMIT = 500;
export const DEFAULT_PAGE_LIMIT = 50;

// at most 15 digits: every such number is exact, and a longer one is out of any bound here
const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,14})$/;

/**
 * An integer in [min, max] given as text (a query option, a path segment): digits only, no
 * sign, no leading zero, no space, no exponent, no fraction and no `0x`, so `16` is 16 and
 * `0x10`, `1e1`, `16.0`, ` 16` and `016` are refused rather than read as a number
 * (`z.coerce.number()` accepted all of them). A number passes to the bounds unchanged. The
 * OpenAPI document describes it as the integer it is.
 */
export function decimalIntegerSchema(min: number, max: number) {
  const expected = `a decimal integer from ${min} to ${max} (digits only)`;
  return z.preprocess(
    (value, ctx) => {
      if (typeof value !== "string") return value;
      if (DECIMAL_INTEGER.test(value)) return Number(value);
      ctx.addIssue({ code: "custom", message: `expected ${expected}`, input: value });
      return value;
    },
    z
      .number({ error: `expected ${expected}` })
      .int({ error: `expected ${expected}` })
      .min(min, { error: `expected ${expected}` })
      .max(max, { error: `expected ${expected}` }),
  );
}

/** `?limit=` and `?cursor=` of every list. */
export const PaginationQuerySchema = z.object({
  limit: decimalIntegerSchema(1, MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().max(512).optional(),
});
export type PaginationQuery = z.infer<typeof PaginationQuerySchema>;

/** A page of a list: `items` and an opaque `nextCursor` (null on the last page). */
export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

/**
 * A page of `item` as a client reads it (item a reading schema, see openEnum). It has the title
 * of the page the service answers with, not its id: the service's OpenAPI document names only
 * what it writes.
 */
export function readPageSchema<T extends z.ZodType>(item: T, title: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ title });
}

/**
 * A request's object (a record of caller-chosen keys) that refuses an own `__proto__` key
 * with an issue at that key. zod builds a record's output by assignment and so skips that
 * key: `{"context": {"__proto__": ...}}` was accepted with the key gone. Refusing it tells
 * the caller; keys below the checked level are values zod copies as they are, so a nested
 * `__proto__` stays data (as the engine treats it). The OpenAPI document shows `schema`.
 */
export function ownKeysSchema<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__"))
      ctx.addIssue({
        code: "custom",
        path: ["__proto__"],
        message:
          "a key named __proto__ is refused here (the parsed request would silently lose it); rename it",
        input: value,
      });
    return value;
  }, schema);
}

/**
 * A value of an informational closed set as a client reads it: one of the values `T` or a
 * string a newer service added. TypeScript still offers the known values.
 */
export type Open<T extends string> = T | (string & {});

/**
 * The reading form of an informational closed set (a report notice's kind, a finding's cause):
 * any non-empty string. This is the one rule of forward compatibility in the wire format. The
 * service writes with `z.enum(values)`, so its OpenAPI document lists the values and it emits
 * no other; a client reads with this, so that a value a newer service added is kept and shown
 * as sent, and never makes the client refuse the whole answer. Never for a value that a decision
 * rests on (decision, outcome, action, severity, status): there an unknown value must be refused.
 */
export function openEnum<const T extends readonly [string, ...string[]]>(_values: T) {
  return z.custom<Open<T[number]>>((value) => typeof value === "string" && value.length > 0, {
    error: `expected a string: one of ${_values.join(", ")} or a value a newer service added`,
  });
}

/** Metadata shared by celgate documents. */
export const ObjectMetaSchema = z
  .object({
    name: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** Roles of API tokens. */
export const ROLES = ["admin", "author", "evaluator", "viewer"] as const;
export const RoleSchema = z.enum(ROLES).meta({ id: "Role" });
export type Role = z.infer<typeof RoleSchema>;

/** Where an evaluation came from. */
export const EVALUATION_SOURCES = ["api", "admission", "cli"] as const;
export const EvaluationSourceSchema = z.enum(EVALUATION_SOURCES).meta({ id: "EvaluationSource" });
export type EvaluationSource = z.infer<typeof EvaluationSourceSchema>;

/** A duration such as `7d`, `12h`, `30m`, `1d12h`. */
export const DurationSchema = z.string().regex(/^(\d+[dhms])+$/, "a duration such as 7d, 12h or 30m");

/** Milliseconds of a duration such as `7d` or `1d12h`. Throws if the text is not a duration. */
export function parseDuration(text: string): number {
  if (!/^(\d+[dhms])+$/.test(text)) throw new Error(`not a duration: ${text}`);
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) total += Number(m[1]) * (unit[m[2] as string] ?? 0);
  return total;
}
