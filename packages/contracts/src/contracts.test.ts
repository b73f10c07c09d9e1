import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AdmissionReviewRequestSchema,
  decimalIntegerSchema,
  EvaluationRequestSchema,
  PaginationQuerySchema,
  ProblemSchema,
  parseDuration,
  ReplayRequestSchema,
} from "./index.js";

describe("contracts", () => {
  it("requires exactly one of manifests and resources", () => {
    expect(EvaluationRequestSchema.safeParse({ manifests: "a: 1" }).success).toBe(true);
    expect(EvaluationRequestSchema.safeParse({ resources: [] }).success).toBe(true);
    expect(EvaluationRequestSchema.safeParse({}).success).toBe(false);
    expect(EvaluationRequestSchema.safeParse({ manifests: "", resources: [] }).success).toBe(false);
    expect(EvaluationRequestSchema.safeParse({ manifests: "", extra: 1 }).success).toBe(false);
    expect(EvaluationRequestSchema.safeParse({ manifests: [{ file: "a.yaml", text: "a: 1" }] }).success).toBe(
      true,
    );
    expect(EvaluationRequestSchema.safeParse({ manifests: [{ file: "", text: "a: 1" }] }).success).toBe(
      false,
    );
    expect(EvaluationRequestSchema.safeParse({ manifests: [{ text: "a: 1" }] }).success).toBe(false);
  });

  it("bounds pages", () => {
    expect(PaginationQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(PaginationQuerySchema.safeParse({ limit: "501" }).success).toBe(false);
    expect(PaginationQuerySchema.parse({ limit: "16" })).toEqual({ limit: 16 });
    expect(PaginationQuerySchema.parse({ limit: "500" })).toEqual({ limit: 500 });
  });

  it("reads a page limit from digits only: no hex, exponent, fraction, sign, padding or leading zero", () => {
    for (const limit of [
      "0x10",
      "1e2",
      " 5",
      "5 ",
      "5.0",
      "016",
      "+5",
      "-1",
      "0",
      "",
      "Infinity",
      "1_0",
      "٥",
    ]) {
      const result = PaginationQuerySchema.safeParse({ limit });
      expect(result.success, JSON.stringify(limit)).toBe(false);
      expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
        ["limit", "expected a decimal integer from 1 to 500 (digits only)"],
      ]);
    }
    expect(PaginationQuerySchema.safeParse({ limit: ["5", "6"] }).success).toBe(false);
    expect(PaginationQuerySchema.safeParse({ limit: "9".repeat(40) }).error?.issues).toHaveLength(1);
    expect(decimalIntegerSchema(1, 2_147_483_647).parse("2147483647")).toBe(2_147_483_647);
    expect(decimalIntegerSchema(1, 2_147_483_647).safeParse("2147483648").success).toBe(false);
  });

  it("refuses an own __proto__ key where a record would drop it, and keeps a nested one as data", () => {
    const issues = (json: string) =>
      EvaluationRequestSchema.safeParse(JSON.parse(json)).error?.issues.map((i) => i.path.join("."));
    expect(issues('{"manifests": "", "context": {"__proto__": {"x": 1}, "env": "prod"}}')).toEqual([
      "context.__proto__",
    ]);
    expect(issues('{"manifests": "", "params": {"__proto__": {}}}')).toEqual(["params.__proto__"]);
    expect(issues('{"manifests": "", "params": {"p": {"__proto__": 1}}}')).toEqual(["params.p.__proto__"]);
    expect(
      AdmissionReviewRequestSchema.safeParse(
        JSON.parse(
          '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE", "object": {"__proto__": {}}}}',
        ),
      ).error?.issues.map((i) => i.path.join(".")),
    ).toEqual(["request.object.__proto__"]);
    expect(ReplayRequestSchema.safeParse(JSON.parse('{"policies": [{"__proto__": {}}]}')).success).toBe(
      false,
    );
    // an object whose prototype was set (by assignment in code) has no own __proto__ key: it passes
    const assigned = Object.setPrototypeOf({ env: "prod" }, { x: 1 }) as Record<string, unknown>;
    expect(EvaluationRequestSchema.parse({ manifests: "", context: assigned }).context).toEqual({
      env: "prod",
    });
    const nested = EvaluationRequestSchema.parse(
      JSON.parse('{"manifests": "", "context": {"team": {"__proto__": 1}}}'),
    );
    expect(Object.keys(nested.context?.team as object)).toEqual(["__proto__"]);
  });

  it("parses durations", () => {
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(parseDuration("1d12h")).toBe(36 * 3_600_000);
    expect(() => parseDuration("soon")).toThrow();
  });

  it("describes problem details", () => {
    expect(
      ProblemSchema.safeParse({ type: "about:blank", title: "x", status: 400, requestId: "r" }).success,
    ).toBe(true);
  });
});

describe("dependencies", () => {
  it("installs without the engine: the SDK depends on contracts, and contracts only on zod", () => {
    for (const pkg of ["../package.json", "../../sdk/package.json"]) {
      const json = JSON.parse(readFileSync(new URL(pkg, import.meta.url), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      expect(Object.keys(json.dependencies ?? {}), pkg).not.toContain("@celgate/core");
    }
  });

  it("imports the engine only in its type tests, which are not built", () => {
    const src = new URL("./", import.meta.url);
    const importers = readdirSync(src)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .filter((f) => /from "@celgate\/core/.test(readFileSync(new URL(f, src), "utf8")));
    expect(importers).toEqual([]);
    const build = JSON.parse(readFileSync(new URL("../tsconfig.build.json", import.meta.url), "utf8")) as {
      exclude?: string[];
    };
    expect(build.exclude).toContain("src/**/*.test.ts");
  });
});
