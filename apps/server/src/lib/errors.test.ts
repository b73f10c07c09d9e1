// Every domain error code has exactly one wire form, and it is the one the API has always given.
import { describe, expect, expectTypeOf, it } from "vitest";
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from "../services/errors.js";
import { DOMAIN_PROBLEMS, type DomainProblem, toProblemError } from "./errors.js";

/** The status and problem type each code answers with (the wire contract, written out). */
const WIRE: Record<DomainErrorCode, { status: number; type: string; retryAfter?: string }> = {
  "invalid-argument": { status: 400, type: "bad-request" },
  "selection-empty": { status: 400, type: "selection-matches-nothing" },
  "no-resources": { status: 400, type: "no-resources" },
  "malformed-input": { status: 400, type: "invalid-body" },
  "invalid-input": { status: 422, type: "unprocessable" },
  "not-found": { status: 404, type: "not-found" },
  "already-exists": { status: 409, type: "conflict" },
  conflict: { status: 409, type: "conflict" },
  "precondition-required": { status: 428, type: "precondition-required" },
  "precondition-failed": { status: 412, type: "precondition-failed" },
  "idempotency-mismatch": { status: 422, type: "unprocessable" },
  "replay-busy": { status: 429, type: "replay-busy", retryAfter: "5" },
  "replay-timeout": { status: 503, type: "replay-timeout" },
  "policy-set-unavailable": { status: 503, type: "unavailable", retryAfter: "1" },
};

describe("domain errors to HTTP", () => {
  it("maps every code, by type", () => {
    expectTypeOf<keyof typeof DOMAIN_PROBLEMS>().toEqualTypeOf<DomainErrorCode>();
    expectTypeOf(DOMAIN_PROBLEMS).toEqualTypeOf<Readonly<Record<DomainErrorCode, DomainProblem>>>();
  });

  it("maps every code at run time, to its documented status and problem type", () => {
    expect(Object.keys(DOMAIN_PROBLEMS).sort()).toEqual([...DOMAIN_ERROR_CODES].sort());
    for (const code of DOMAIN_ERROR_CODES) {
      const errors = [{ path: "spec", message: "wrong", code: "schema" }];
      const p = toProblemError(new DomainError(code, `because of ${code}`, errors));
      const wire = WIRE[code];
      expect({ code, status: p.status, type: p.type }).toEqual({
        code,
        status: wire.status,
        type: `https://celgate.dev/problems/${wire.type}`,
      });
      expect(p.detail).toMatch(new RegExp(`because of ${code}$`));
      expect(p.errors).toEqual(errors);
      expect(p.headers?.["Retry-After"]).toBe(wire.retryAfter);
    }
  });

  it("keeps the detail as the message, with the prefix of a policy set that cannot be served", () => {
    expect(toProblemError(new DomainError("not-found", "no policy named x")).detail).toBe(
      "no policy named x",
    );
    expect(toProblemError(new DomainError("policy-set-unavailable", "none in force")).detail).toBe(
      "no policy set can be evaluated on this instance: none in force",
    );
    expect(toProblemError(new DomainError("not-found", "x")).errors).toBeUndefined();
  });
});

describe("database errors to HTTP", () => {
  it("answers a value the database cannot hold with a 400, not a 500 (real PostgreSQL errors)", async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite();
    try {
      for (const [query, sqlstate] of [
        ["select 2147483648::int4", "22003"],
        ["select make_date(2000, 13, 40)", "22008"],
        [
          "select 'abcd'::text::varchar(2)::text, cast('abcd' as char(2)) as x; create temp table t (v varchar(2)); insert into t values ('abcd')",
          "22001",
        ],
      ] as const) {
        const error = await db.exec(query).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as { code?: string } | undefined)?.code, query).toBe(sqlstate);
        // as drizzle throws it: the driver's error is the cause
        const p = toProblemError(new Error(`Failed query: ${query}`, { cause: error }));
        expect({ query, status: p.status }).toEqual({ query, status: 400 });
        expect(p.detail).not.toMatch(/select|insert|int4|make_date/);
      }
    } finally {
      await db.close();
    }
  });
});
