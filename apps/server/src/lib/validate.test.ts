// headerValidator (lib/validate.ts) checks a route's declared headers itself, reading only
// those headers; @hono/zod-openapi's validator reads every header. Both must give the handler
// the same data and refuse the same requests with the same problems.
import { EvaluationSourceSchema } from "@celgate/contracts";
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "./context.js";
import { toProblemError } from "./errors.js";
import { headerValidator, refuseInvalid } from "./validate.js";

const HEADERS = z.object({
  "idempotency-key": z.string().min(1).max(255).optional(),
  "x-celgate-source": EvaluationSourceSchema.exclude(["admission"]).optional(),
  "if-match": z.string(),
});

/** A route answering the validated headers, checked by @hono/zod-openapi or by headerValidator. */
function appWith(mode: "zod-openapi" | "headerValidator") {
  const app = new OpenAPIHono<AppEnv>();
  app.onError((err, c) => {
    const p = toProblemError(err);
    return c.json(p.toProblem("rid"), p.status as 400);
  });
  const route = {
    method: "post" as const,
    path: "/x",
    request: mode === "zod-openapi" ? { headers: HEADERS } : {},
    responses: { 200: { description: "ok" } },
  };
  const check = mode === "headerValidator" ? headerValidator(HEADERS, refuseInvalid(route)) : undefined;
  expect(mode === "zod-openapi" || check !== undefined).toBe(true);
  app.openapi(
    route,
    (c) => {
      check?.(c);
      return c.json({ header: (c.req.valid as (t: string) => unknown)("header") }, 200);
    },
    refuseInvalid(route),
  );
  return app;
}

const CASES: [string, HeadersInit][] = [
  ["all valid", { "if-match": '"v1"', "idempotency-key": "k1", "x-celgate-source": "cli" }],
  [
    "only the required one, other headers beside",
    { "if-match": "*", authorization: "Bearer x", "x-other": "y" },
  ],
  ["any spelling of the names", { "If-Match": "a", "X-Celgate-Source": "api", "IDEMPOTENCY-KEY": "K" }],
  ["the required one missing", { "idempotency-key": "k" }],
  ["a refused enum value", { "if-match": "a", "x-celgate-source": "admission" }],
  ["too long", { "if-match": "a", "idempotency-key": "k".repeat(256) }],
  ["empty", { "if-match": "a", "idempotency-key": "" }],
  ["several refused at once", { "x-celgate-source": "nope", "idempotency-key": "" }],
  [
    "a repeated header",
    [
      ["if-match", "a"],
      ["if-match", "b"],
      ["x-celgate-source", "cli"],
    ],
  ],
];

describe("headerValidator", () => {
  const viaZodOpenApi = appWith("zod-openapi");
  const viaHeaderValidator = appWith("headerValidator");

  it.each(CASES)("answers as @hono/zod-openapi's validator does: %s", async (_name, headers) => {
    const a = await viaZodOpenApi.request("/x", { method: "POST", headers });
    const b = await viaHeaderValidator.request("/x", { method: "POST", headers });
    expect(b.status).toBe(a.status);
    expect(await b.json()).toEqual(await a.json());
  });

  it("passes the declared headers on, refuses what the schema refuses", async () => {
    const ok = await viaHeaderValidator.request("/x", {
      method: "POST",
      headers: { "If-Match": "a", "x-celgate-source": "cli", "x-other": "y" },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ header: { "if-match": "a", "x-celgate-source": "cli" } });
    const refused = await viaHeaderValidator.request("/x", {
      method: "POST",
      headers: { "x-celgate-source": "cli" },
    });
    expect(refused.status).toBe(428);
  });

  it("leaves schemas that keep or refuse unknown keys to @hono/zod-openapi", () => {
    const hook = refuseInvalid();
    expect(headerValidator(HEADERS.strict(), hook)).toBeUndefined();
    expect(headerValidator(HEADERS.loose(), hook)).toBeUndefined();
    expect(headerValidator(z.string(), hook)).toBeUndefined();
    expect(headerValidator(HEADERS, hook)).toBeTypeOf("function");
  });
});
