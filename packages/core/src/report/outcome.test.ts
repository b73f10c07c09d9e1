import { describe, expect, it } from "vitest";
import {
  buildReport,
  decide,
  ReportTally,
  resourceKey,
  sortResults,
  summarise,
  toWireRef,
  toWireReport,
  toWireResult,
  wireResult,
  withResults,
} from "./outcome.js";
import type { Outcome, PolicyAction, ResourceRef, Result } from "./types.js";

const web: ResourceRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "shop",
  name: "web",
  source: { file: "k8s/web.yaml", line: 1, document: 0 },
};
const db: ResourceRef = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  namespace: "shop",
  name: "db",
  source: { file: "k8s/db.yaml", line: 1, document: 0 },
};
const role: ResourceRef = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "admin" };

function result(
  resource: ResourceRef,
  policy: string,
  outcome: Outcome,
  action: PolicyAction = "deny",
): Result {
  return {
    resource,
    policy,
    severity: "high",
    action,
    outcome,
    violations: outcome === "fail" || outcome === "waived" ? [{ message: `${policy} failed` }] : [],
    error: outcome === "error" ? "boom" : null,
    exception: outcome === "waived" ? "legacy" : null,
  };
}

describe("decide", () => {
  it("allows when nothing fails", () => {
    expect(decide([])).toBe("allow");
    expect(
      decide([
        { outcome: "pass", action: "deny" },
        { outcome: "skip", action: "deny" },
      ]),
    ).toBe("allow");
  });

  it("denies when a deny-action policy fails", () => {
    expect(decide([{ outcome: "fail", action: "deny" }])).toBe("deny");
  });

  it("warns when only a warn-action policy fails", () => {
    expect(
      decide([
        { outcome: "fail", action: "warn" },
        { outcome: "pass", action: "deny" },
      ]),
    ).toBe("warn");
  });

  it("lets deny beat warn, whatever the order", () => {
    const warn = { outcome: "fail", action: "warn" } as const;
    const deny = { outcome: "fail", action: "deny" } as const;
    expect(decide([warn, deny])).toBe("deny");
    expect(decide([deny, warn])).toBe("deny");
  });

  it("never lets an audit-action policy change the decision", () => {
    expect(decide([{ outcome: "fail", action: "audit" }])).toBe("allow");
    expect(decide([{ outcome: "error", action: "audit", failurePolicy: "Fail" }])).toBe("allow");
  });

  it("counts an error as a failure under failurePolicy Fail, the default", () => {
    expect(decide([{ outcome: "error", action: "deny" }])).toBe("deny");
    expect(decide([{ outcome: "error", action: "deny", failurePolicy: "Fail" }])).toBe("deny");
    expect(decide([{ outcome: "error", action: "warn", failurePolicy: "Fail" }])).toBe("warn");
  });

  it("ignores an error under failurePolicy Ignore", () => {
    expect(decide([{ outcome: "error", action: "deny", failurePolicy: "Ignore" }])).toBe("allow");
    expect(decide([{ outcome: "error", action: "warn", failurePolicy: "Ignore" }])).toBe("allow");
  });

  it("never lets a waived result change the decision", () => {
    expect(decide([{ outcome: "waived", action: "deny" }])).toBe("allow");
  });
});

describe("summarise", () => {
  it("counts every outcome and takes the resource count as given", () => {
    const results = [
      result(web, "a", "pass"),
      result(web, "b", "fail"),
      result(web, "c", "skip"),
      result(db, "a", "error"),
      result(db, "b", "waived"),
      result(db, "c", "skip"),
    ];
    expect(summarise(results, 5)).toEqual({ resources: 5, pass: 1, fail: 1, error: 1, skip: 2, waived: 1 });
  });

  it("counts nothing for no results", () => {
    expect(summarise([], 0)).toEqual({ resources: 0, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 });
  });
});

describe("sortResults", () => {
  it("orders by resource input order, then policy name", () => {
    const results = [
      result(db, "b", "pass"),
      result(web, "z", "pass"),
      result(db, "a", "pass"),
      result(web, "a", "pass"),
    ];
    const sorted = sortResults(results, [web, db]);
    expect(sorted.map((r) => `${r.resource.name}:${r.policy}`)).toEqual(["web:a", "web:z", "db:a", "db:b"]);
  });

  it("compares policy names by code unit, not locale", () => {
    const sorted = sortResults(
      [result(web, "b", "pass"), result(web, "B", "pass"), result(web, "a", "pass")],
      [web],
    );
    expect(sorted.map((r) => r.policy)).toEqual(["B", "a", "b"]);
  });

  it("puts resources missing from the order last, by file and identity", () => {
    const other: ResourceRef = { ...web, source: { file: "a.yaml", line: 3, document: 1 } };
    const sorted = sortResults(
      [
        result(role, "p", "pass"),
        result(web, "p", "pass"),
        result(other, "p", "pass"),
        result(db, "p", "pass"),
      ],
      [db],
    );
    expect(sorted.map((r) => r.resource.source?.file ?? "-")).toEqual([
      "k8s/db.yaml",
      "-",
      "a.yaml",
      "k8s/web.yaml",
    ]);
  });

  it("tells apart two documents describing the same object", () => {
    const again: ResourceRef = { ...web, source: { file: "k8s/web.yaml", line: 20, document: 1 } };
    expect(resourceKey(again)).not.toBe(resourceKey(web));
    const sorted = sortResults([result(web, "p", "pass"), result(again, "p", "fail")], [again, web]);
    expect(sorted.map((r) => r.outcome)).toEqual(["fail", "pass"]);
  });

  it("does not change its input", () => {
    const results = [result(db, "a", "pass"), result(web, "a", "pass")];
    sortResults(results, [web, db]);
    expect(results[0]?.resource).toBe(db);
  });
});

describe("buildReport", () => {
  const results = [
    result(db, "b", "skip"),
    result(db, "a", "fail", "warn"),
    result(web, "b", "error"),
    result(web, "a", "pass"),
    result(role, "a", "waived"),
  ];
  const base = {
    results,
    resources: [web, db, role],
    policySet: { digest: "sha256:abc", policies: 2 },
    evaluatedAt: "2026-11-29T10:00:00Z",
  };

  it("assembles a sorted report without skips, counting them in the summary", () => {
    const report = buildReport(base);
    expect(report.apiVersion).toBe("celgate.dev/v1");
    expect(report.kind).toBe("EvaluationReport");
    expect(report).not.toHaveProperty("id");
    expect(report).not.toHaveProperty("notices");
    expect(report.decision).toBe("deny");
    expect(report.summary).toEqual({ resources: 3, pass: 1, fail: 1, error: 1, skip: 1, waived: 1 });
    expect(report.results.map((r) => `${r.resource.name}:${r.policy}`)).toEqual([
      "web:a",
      "web:b",
      "db:a",
      "admin:a",
    ]);
  });

  it("lists skips with includeSkipped", () => {
    const report = buildReport({ ...base, includeSkipped: true });
    expect(report.results.map((r) => r.outcome)).toEqual(["pass", "error", "fail", "skip", "waived"]);
    expect(report.summary.skip).toBe(1);
  });

  it("counts omitted pairs by outcome and keeps ordered results in their order", () => {
    const ordered = [result(web, "a", "pass"), result(web, "b", "error"), result(db, "a", "fail", "warn")];
    const report = buildReport({ ...base, results: ordered, ordered: true, omitted: { skip: 4, pass: 2 } });
    expect(report.results.map((r) => `${r.resource.name}:${r.policy}`)).toEqual(["web:a", "web:b", "db:a"]);
    expect(report.summary).toEqual({ resources: 3, pass: 3, fail: 1, error: 1, skip: 4, waived: 0 });
    expect(report.decision).toBe("deny");
  });

  it("takes each policy's failurePolicy into account", () => {
    const report = buildReport({ ...base, failurePolicies: new Map([["b", "Ignore"]]) });
    expect(report.decision).toBe("warn");
    // The error still counts in the summary and stays listed.
    expect(report.summary.error).toBe(1);
  });

  it("carries id and notices when given", () => {
    const report = buildReport({
      ...base,
      id: "ev_1",
      notices: [{ kind: "expired-exception", message: "legacy expired", exception: "legacy" }],
    });
    expect(report.id).toBe("ev_1");
    expect(report.notices).toHaveLength(1);
  });

  it("counts every resource even when it has no results", () => {
    const report = buildReport({ ...base, results: [], resources: [web, db] });
    expect(report.summary.resources).toBe(2);
    expect(report.decision).toBe("allow");
    expect(report.results).toEqual([]);
  });
});

describe("toWireReport", () => {
  it("drops formatter-only fields and keeps the contract key order", () => {
    const report = buildReport({
      results: [{ ...result(web, "a", "fail"), remediation: "fix it", title: "A", policyVersion: 2 }],
      resources: [web],
      policySet: { digest: "sha256:abc", policies: 1 },
      evaluatedAt: "2026-11-29T10:00:00Z",
    });
    const wire = toWireReport(report);
    const first = wire.results[0];
    expect(first).not.toHaveProperty("remediation");
    expect(first).not.toHaveProperty("title");
    expect(Object.keys(wire)).toEqual(reportKeys({}));
    expect(Object.keys(first ?? {})).toEqual([
      "resource",
      "policy",
      "policyVersion",
      "severity",
      "action",
      "outcome",
      "violations",
      "error",
      "exception",
    ]);
    expect(report.results[0]?.remediation).toBe("fix it");
  });
});

describe("toWireReport's notices", () => {
  it("keeps where a skipped document was, and only the fields a notice has", () => {
    const report = buildReport({
      results: [],
      resources: [web],
      policySet: { digest: "sha256:abc", policies: 1 },
      evaluatedAt: "2026-11-29T10:00:00Z",
      notices: [
        {
          kind: "skipped-document",
          message: "a.yaml:3: no kind",
          source: { file: "a.yaml", document: 1, line: 3 },
        },
        {
          kind: "skipped-document",
          message: "resources[0]: no kind",
          source: { file: "resources", document: 0 },
        },
        { kind: "unused-image-facts", message: "unused", image: "x" },
      ],
    });
    expect(toWireReport(report).notices).toStrictEqual([
      {
        kind: "skipped-document",
        message: "a.yaml:3: no kind",
        source: { file: "a.yaml", document: 1, line: 3 },
      },
      {
        kind: "skipped-document",
        message: "resources[0]: no kind",
        source: { file: "resources", document: 0 },
      },
      { kind: "unused-image-facts", message: "unused", image: "x" },
    ]);
  });
});

describe("toWireResult", () => {
  it("leaves absent optional fields out as keys, keeps null ones, and drops engine-only fields", () => {
    const engine: Result = {
      ...result(role, "b", "fail"),
      violations: [
        { message: "m1" },
        { message: "m2", fieldPath: "spec.x" },
        { message: "m3", reason: "Forbidden" },
        { reason: "Invalid", fieldPath: "spec.y", message: "m4" },
      ],
      title: "B",
      remediation: "fix b",
    };
    const wire = toWireResult(engine);
    expect(wire).toStrictEqual({
      resource: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "admin" },
      policy: "b",
      severity: "high",
      action: "deny",
      outcome: "fail",
      violations: [
        { message: "m1" },
        { message: "m2", fieldPath: "spec.x" },
        { message: "m3", reason: "Forbidden" },
        { message: "m4", fieldPath: "spec.y", reason: "Invalid" },
      ],
      error: null,
      exception: null,
    });
    // key order is the contract's, whatever order the engine's objects have
    expect(JSON.stringify(wire.violations[3])).toBe(
      '{"message":"m4","fieldPath":"spec.y","reason":"Invalid"}',
    );
    expect(Object.keys(toWireRef(web))).toEqual(["apiVersion", "kind", "namespace", "name", "source"]);
    expect(toWireRef(web)).toStrictEqual(web);
    // copies: the wire form shares nothing with the engine's result
    expect(toWireRef(web)).not.toBe(web);
    expect(toWireRef(web).source).not.toBe(web.source);
    expect(wire.violations[0]).not.toBe(engine.violations[0]);
  });

  it("is wireResult with the result's ref in wire form, which results of a resource may share", () => {
    const ref = toWireRef(web);
    const pass = result(web, "a", "pass");
    const fail = { ...result(web, "c", "fail"), policyVersion: 4 };
    expect(wireResult(pass, ref)).toStrictEqual(toWireResult(pass));
    expect(wireResult(fail, ref)).toStrictEqual(toWireResult(fail));
    expect(wireResult(pass, ref).resource).toBe(wireResult(fail, ref).resource);
    expect(Object.keys(wireResult(fail, ref))[2]).toBe("policyVersion");
  });
});

describe("ReportTally", () => {
  const outcomes: Outcome[] = ["pass", "fail", "error", "skip", "waived"];
  const actions: PolicyAction[] = ["deny", "warn", "audit"];

  it("decides as decide() does, one result at a time, with each policy's failurePolicy", () => {
    const singles = outcomes.flatMap((outcome) =>
      actions.flatMap((action) =>
        (["Fail", "Ignore"] as const).map((failurePolicy) => ({ outcome, action, failurePolicy })),
      ),
    );
    for (const a of singles)
      for (const b of singles) {
        const failurePolicies = new Map([
          ["a", a.failurePolicy],
          ["b", b.failurePolicy],
        ]);
        const tally = new ReportTally(1, { failurePolicies });
        tally.add(result(web, "a", a.outcome, a.action));
        tally.add(result(web, "b", b.outcome, b.action));
        const head = tally.head({ policySet: { digest: "d", policies: 2 }, evaluatedAt: "t" });
        expect(head.decision, JSON.stringify([a, b])).toBe(decide([a, b]));
      }
  });

  it("lists skips only when asked and passes unless omitted, and counts every outcome", () => {
    for (const includeSkipped of [false, true])
      for (const omitPassing of [false, true]) {
        const tally = new ReportTally(2, { includeSkipped, omitPassing });
        const listed = outcomes.filter((outcome) => tally.add(result(web, outcome, outcome)));
        tally.count("skip", 3);
        expect(listed).toEqual(
          outcomes.filter((o) => (o !== "skip" || includeSkipped) && (o !== "pass" || !omitPassing)),
        );
        const head = tally.head({ policySet: { digest: "d", policies: 5 }, evaluatedAt: "t", id: "x" });
        expect(head.summary).toEqual({ resources: 2, pass: 1, fail: 1, error: 1, skip: 4, waived: 1 });
        expect(head).not.toHaveProperty("notices");
        expect(Object.keys(withResults(head, []))).toEqual(reportKeys({ id: true }));
      }
  });

  it("gives heads and reports with their keys in report order, an absent id or notices no key at all", () => {
    const tally = new ReportTally(1);
    tally.add(result(web, "a", "fail"));
    const plain = tally.head({ policySet: { digest: "d", policies: 1 }, evaluatedAt: "t" });
    expect(Object.keys(plain)).toEqual(headKeys({}));
    expect(Object.keys(withResults(plain, []))).toEqual([
      "apiVersion",
      "kind",
      "decision",
      "evaluatedAt",
      "policySet",
      "summary",
      "results",
    ]);
    const notices = [{ kind: "warning" as const, message: "m" }];
    const full = tally.head({ policySet: { digest: "d", policies: 1 }, evaluatedAt: "t", id: "r1", notices });
    const results = [result(web, "a", "fail")];
    const report = withResults(full, results);
    expect(Object.keys(report)).toEqual(reportKeys({ id: true, notices: true }));
    expect(report).toEqual({ ...full, results });
    expect(report.results).toBe(results);
    expect(report.notices).toEqual(notices);
    expect(Object.keys(withResults({ ...plain, notices: undefined }, []))).not.toContain("notices");
    // the head is a snapshot: counting more changes neither its summary nor the next head's start
    tally.add(result(web, "b", "pass"));
    expect(plain.summary).toEqual({ resources: 1, pass: 0, fail: 1, error: 0, skip: 0, waived: 0 });
    expect(Object.keys(plain.summary)).toEqual(["resources", "pass", "fail", "error", "skip", "waived"]);
  });
});

/** A head's keys in report order, with `id` where one was given. */
function headKeys(with_: { id?: boolean }): string[] {
  return [
    "apiVersion",
    "kind",
    ...(with_.id ? ["id"] : []),
    "decision",
    "evaluatedAt",
    "policySet",
    "summary",
  ];
}

/** A report's keys in report order: the head's, `results`, then `notices` where there are any. */
function reportKeys(with_: { id?: boolean; notices?: boolean }): string[] {
  return [...headKeys(with_), "results", ...(with_.notices ? ["notices"] : [])];
}
