// The wire model and the engine's model are declared twice, once here (zod, for the service and
// the SDK) and once in @celgate/core (TypeScript, for the engine), because contracts may not
// depend on the engine. These type tests prove the two equal, so a field or a value added on
// one side only fails `pnpm typecheck`. @celgate/core is a devDependency of this package, for
// this file only.
import type * as core from "@celgate/core";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { DECISION_RANK, leastDecision } from "./decision.js";
import { duplicateJsonKey } from "./dsse.js";
import type * as wire from "./index.js";
import { OUTCOMES, POLICY_ACTIONS } from "./report.js";

type Wire<T extends z.ZodType> = z.infer<T>;

describe("the wire model equals the engine's", () => {
  it("has the same closed sets, value for value and in the same order", () => {
    expectTypeOf<typeof wire.OUTCOMES>().toEqualTypeOf<typeof core.OUTCOMES>();
    expectTypeOf<typeof wire.DECISIONS>().toEqualTypeOf<typeof core.DECISIONS>();
    expectTypeOf<typeof wire.SEVERITIES>().toEqualTypeOf<typeof core.SEVERITIES>();
    expectTypeOf<typeof wire.POLICY_ACTIONS>().toEqualTypeOf<typeof core.POLICY_ACTIONS>();
    expectTypeOf<typeof wire.NOTICE_KINDS>().toEqualTypeOf<typeof core.NOTICE_KINDS>();
    expectTypeOf<typeof wire.DIAGNOSTIC_CODES>().toEqualTypeOf<typeof core.DIAGNOSTIC_CODES>();

    expectTypeOf<Wire<typeof wire.OutcomeSchema>>().toEqualTypeOf<core.Outcome>();
    expectTypeOf<Wire<typeof wire.DecisionSchema>>().toEqualTypeOf<core.Decision>();
    expectTypeOf<Wire<typeof wire.SeveritySchema>>().toEqualTypeOf<core.Severity>();
    expectTypeOf<Wire<typeof wire.PolicyActionSchema>>().toEqualTypeOf<core.PolicyAction>();
    expectTypeOf<Wire<typeof wire.NoticeKindSchema>>().toEqualTypeOf<core.NoticeKind>();
    expectTypeOf<Wire<typeof wire.DiagnosticCodeSchema>>().toEqualTypeOf<core.DiagnosticCode>();
  });

  it("has the same report, result by result", () => {
    expectTypeOf<Wire<typeof wire.SourceLocationSchema>>().toEqualTypeOf<core.SourceLocation>();
    expectTypeOf<Wire<typeof wire.ResourceRefSchema>>().toEqualTypeOf<core.ResourceRef>();
    expectTypeOf<Wire<typeof wire.ViolationSchema>>().toEqualTypeOf<core.Violation>();
    expectTypeOf<Wire<typeof wire.ResultSchema>>().toEqualTypeOf<core.WireResult>();
    expectTypeOf<Wire<typeof wire.SummarySchema>>().toEqualTypeOf<core.Summary>();
    expectTypeOf<Wire<typeof wire.DocumentSourceSchema>>().toEqualTypeOf<core.DocumentSource>();
    expectTypeOf<Wire<typeof wire.ReportNoticeSchema>>().toEqualTypeOf<core.ReportNotice>();
    // the receipt is the service's signature over a recorded report, not part of the engine's model
    expectTypeOf<
      Omit<Wire<typeof wire.EvaluationReportSchema>, "receipt">
    >().toEqualTypeOf<core.WireReport>();
    // what the CLI's --server path receives, it can format as a local report
    expectTypeOf<core.WireReport>().toExtend<core.EvaluationReport>();
  });

  it("has the same diagnostics, and problem errors can carry their codes", () => {
    expectTypeOf<Wire<typeof wire.DiagnosticSchema>>().toEqualTypeOf<core.Diagnostic>();
    expectTypeOf<core.DiagnosticCode>().toExtend<NonNullable<wire.ProblemFieldError["code"]>>();
    type Located = Pick<core.Diagnostic, "path" | "message" | "document" | "line" | "column">;
    expectTypeOf<Located>().toEqualTypeOf<
      Pick<wire.ProblemFieldError, "path" | "message" | "document" | "line" | "column">
    >();
  });

  it("has the engine's image facts, signature by signature", () => {
    expectTypeOf<Wire<typeof wire.ImageFactsSchema>>().toEqualTypeOf<core.ImageFacts>();
  });

  it("has policy and exception documents the engine's documents fit", () => {
    type Head<T extends { apiVersion: unknown; kind: unknown }> = Pick<T, "apiVersion" | "kind">;
    expectTypeOf<Head<Wire<typeof wire.PolicyDocumentSchema>>>().toEqualTypeOf<Head<core.PolicyDocument>>();
    expectTypeOf<Head<Wire<typeof wire.ExceptionDocumentSchema>>>().toEqualTypeOf<
      Head<core.ExceptionDocument>
    >();
    expectTypeOf<core.PolicyDocument>().toExtend<z.input<typeof wire.PolicyDocumentSchema>>();
    expectTypeOf<core.ExceptionDocument>().toExtend<z.input<typeof wire.ExceptionDocumentSchema>>();
  });

  it("has the engine's PolicyTest cases and results", () => {
    // a wire case names its test document and file (with the line and column of its entry, as
    // its result does), and carries the fixture it names with its text
    type WireCase = Omit<
      Wire<typeof wire.PolicyTestCaseSchema>,
      "test" | "file" | "line" | "column" | "fixture" | "now"
    >;
    expectTypeOf<WireCase>().toEqualTypeOf<Omit<core.PolicyTestCase, "file">>();
    type WireResult = Omit<Wire<typeof wire.PolicyTestCaseResultSchema>, "name" | "file" | "actual">;
    expectTypeOf<WireResult>().toEqualTypeOf<
      // the service names the case by file and name (and its line and column, as `celgate test` does)
      Omit<import("@celgate/core/testing").TestCaseResult, "case" | "file" | "policy" | "actual">
    >();
  });
});

// The check for a key given twice in one JSON object is written twice as well: the receipt
// verifier's here (the SDK may not load the engine), the manifest reader's in the engine. Both
// must find a repeated key in the same texts, and none in the others.
describe("a key given twice in JSON: the verifier and the manifest reader agree", () => {
  const texts = [
    '{"a":1,"b":2}',
    '{"a":1,"a":2}',
    '{"a":{"b":1},"c":{"b":2}}',
    '{"a":{"b":1,"b":2}}',
    '[{"a":1},{"a":1}]',
    '[{"a":1,"x":[{"k":1,"k":2}]}]',
    '{"kin\\u0064":1,"kind":2}',
    '{"a\\"b":1,"a\\"b":2}',
    '{"a":"\\"a\\":1","a2":"x"}',
    '{"a":"}","a":1}',
    '{ "a" : 1 , "b" : { "a" : 2 } , "c" : [ "a", "a" ] }',
    '{"__proto__":1,"__proto__":2}',
    '{"":1,"":2}',
  ];

  it.each(texts)("%s", async (text) => {
    const { parseManifests } = await import("@celgate/core");
    const byVerifier = duplicateJsonKey(text) !== null;
    const byReader = parseManifests(text, "t.json").diagnostics.some((d) => /duplicated key/.test(d.message));
    expect(byReader).toBe(byVerifier);
  });

  it("finds some and not others (the cases above are not all alike)", () => {
    const found = texts.filter((t) => duplicateJsonKey(t) !== null);
    expect(found.length).toBeGreaterThan(3);
    expect(found.length).toBeLessThan(texts.length - 3);
  });
});

// The decision is known twice as well: the engine decides it (core's decide, with each policy's
// failurePolicy) and a client bounds it from below (leastDecision, here: the wire result carries
// no failurePolicy). Over every list of up to two results of every outcome, action and
// failurePolicy: the bound is the engine's decision when no error counts (every failurePolicy
// Ignore), and never above it otherwise, so a client refuses no report the engine could make.
describe("a report's least decision and the engine's decision agree", () => {
  const shapes = OUTCOMES.flatMap((outcome) =>
    POLICY_ACTIONS.flatMap((action) =>
      (["Fail", "Ignore"] as const).map((failurePolicy) => ({ outcome, action, failurePolicy })),
    ),
  );
  const lists = [[], ...shapes.map((s) => [s]), ...shapes.flatMap((a) => shapes.map((b) => [a, b]))];

  it("equals the engine's decision when errors are ignored, and is never above it", async () => {
    const { decide } = await import("@celgate/core");
    for (const list of lists) {
      const least = leastDecision(list);
      const ignored = decide(list.map((r) => ({ ...r, failurePolicy: "Ignore" as const })));
      expect([list, least]).toEqual([list, ignored]);
      expect(DECISION_RANK[least]).toBeLessThanOrEqual(DECISION_RANK[decide(list)]);
    }
    expect(lists.length).toBe(1 + 30 + 900);
  });

  it("is below the engine's decision exactly where an error counts under failurePolicy Fail", async () => {
    const { decide } = await import("@celgate/core");
    const below = lists.filter((list) => leastDecision(list) !== decide(list));
    expect(below.length).toBeGreaterThan(0);
    for (const list of below)
      expect(
        list.some((r) => r.outcome === "error" && r.failurePolicy === "Fail" && r.action !== "audit"),
      ).toBe(true);
  });
});
