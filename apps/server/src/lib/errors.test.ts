// Every domain error code has exactly one wire form, and it is the one the API has always given.
import { describe, expect, expectTypeOf, it } from "vitest";
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from "../services/errors.js";
import { DOMAIN_PROBLEMS, type DomainProblem, toProblemError } from "./errors.js";

/** The status and problem type each code answers with (the wire contract, written out). */
const WIRE: Record<DomainErrorCode, { status: number; type: string; retryAfter?: string }> = {
  "invalid-argument": { status: 400, type: "bad-request" },
  "selection-empty": { status: 400, type: "selection-matches-nothing" },
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
