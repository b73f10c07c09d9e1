import { describe, expect, it } from "vitest";
import { decisionRequiredBy, leastDecision, reportContradiction } from "./decision.js";
import { OUTCOMES, POLICY_ACTIONS, type ReportResult } from "./report.js";

const result = (over: Partial<ReportResult> = {}): ReportResult => ({
  resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
  policy: "run-as-non-root",
  severity: "high",
  action: "deny",
  outcome: "pass",
  violations: [],
  error: null,
  exception: null,
  ...over,
});

/** A report of `results` whose summary counts them, one resource. */
function report(decision: "allow" | "warn" | "deny", results: ReportResult[]) {
  const summary = { resources: 1, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
  for (const r of results) summary[r.outcome] += 1;
  return { decision, summary, results };
}

describe("the least decision a report's results require", () => {
  it("is deny for a failing deny-action result, warn for a failing warn-action one, else allow", () => {
    const table = OUTCOMES.flatMap((outcome) =>
      POLICY_ACTIONS.map((action) => `${outcome}/${action}: ${decisionRequiredBy({ outcome, action })}`),
    );
    expect(table).toEqual([
      "pass/deny: allow",
      "pass/warn: allow",
      "pass/audit: allow",
      "fail/deny: deny",
      "fail/warn: warn",
      "fail/audit: allow",
      // an error's weight rests on its policy's failurePolicy, which the wire does not carry
      "error/deny: allow",
      "error/warn: allow",
      "error/audit: allow",
      "skip/deny: allow",
      "skip/warn: allow",
      "skip/audit: allow",
      "waived/deny: allow",
      "waived/warn: allow",
      "waived/audit: allow",
    ]);
  });

  it("is the strictest any result requires", () => {
    expect(leastDecision([])).toBe("allow");
    expect(leastDecision([{ outcome: "fail", action: "audit" }])).toBe("allow");
    expect(
      leastDecision([
        { outcome: "fail", action: "warn" },
        { outcome: "waived", action: "deny" },
      ]),
    ).toBe("warn");
    expect(
      leastDecision([
        { outcome: "fail", action: "warn" },
        { outcome: "fail", action: "deny" },
        { outcome: "fail", action: "warn" },
      ]),
    ).toBe("deny");
  });
});

describe("a report that contradicts itself", () => {
  const fail = (action: ReportResult["action"]) =>
    result({ action, outcome: "fail", violations: [{ message: "bad" }] });

  it("takes a report whose decision is as strict as its results require, or stricter", () => {
    expect(reportContradiction(report("deny", [fail("deny"), fail("warn")]))).toBeUndefined();
    expect(reportContradiction(report("warn", [fail("warn"), fail("audit")]))).toBeUndefined();
    expect(
      reportContradiction(report("allow", [result({ outcome: "error", error: "boom" })])),
    ).toBeUndefined();
    expect(reportContradiction(report("deny", [result()]))).toBeUndefined();
    expect(
      reportContradiction(report("allow", [result({ outcome: "waived", exception: "legacy" })])),
    ).toBeUndefined();
  });

  it("names the result that makes the decision milder than it may be, with its position", () => {
    const source = { file: "k8s/web.yaml", line: 4, document: 1 };
    const failing = { ...fail("deny"), resource: { ...fail("deny").resource, source } };
    const body = report("warn", [result(), failing]);
    body.summary.resources = 2; // the source names another document than the first result's
    expect(reportContradiction(body)).toBe(
      "its decision is warn, but run-as-non-root (action deny) fails on Deployment shop/web in k8s/web.yaml:4 (results[1]), which makes it deny",
    );
    expect(reportContradiction(report("allow", [fail("warn")]))).toContain("which makes it warn");
  });

  it("refuses a waived result that names no exception: a failure relabelled", () => {
    for (const exception of [null, ""])
      expect(reportContradiction(report("allow", [result({ outcome: "waived", exception })]))).toBe(
        "results[0] (run-as-non-root on Deployment shop/web) is waived but names no exception",
      );
  });

  it("holds every always-listed count of the summary to the results", () => {
    for (const outcome of ["pass", "fail", "error", "waived"] as const) {
      const body = report("deny", [fail("deny")]);
      body.summary[outcome] += 2;
      expect(reportContradiction(body)).toBe(
        `its summary counts ${body.summary[outcome]} ${outcome} results but it lists ${outcome === "fail" ? 1 : 0}`,
      );
    }
  });

  it("takes skips listed all or none, and refuses some", () => {
    const skip = result({ outcome: "skip" });
    const none = report("allow", []);
    none.summary.skip = 4;
    expect(reportContradiction(none)).toBeUndefined();
    expect(reportContradiction(report("allow", [skip, skip]))).toBeUndefined();
    const some = report("allow", [skip]);
    some.summary.skip = 4;
    expect(reportContradiction(some)).toBe(
      "it lists 1 skip results but its summary counts 4 (skips are listed all or none)",
    );
  });

  it("refuses a negative count, and fewer resources than the results name", () => {
    const negative = report("allow", []);
    negative.summary.resources = -1;
    expect(reportContradiction(negative)).toBe("its summary.resources is -1, below 0");
    const other = result({ resource: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "db" } });
    expect(reportContradiction(report("allow", [result(), other]))).toBe(
      "its results name 2 resources but its summary.resources is 1",
    );
    // two policies' results on one resource name it once
    expect(reportContradiction(report("allow", [result(), result({ policy: "other" })]))).toBeUndefined();
  });
});
