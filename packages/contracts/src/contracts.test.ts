import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AdmissionReviewRequestSchema,
  AuditListReadSchema,
  AuditListSchema,
  CreatedWebhookReadSchema,
  CreatedWebhookSchema,
  decimalIntegerSchema,
  EvaluationListReadSchema,
  EvaluationListSchema,
  EvaluationReportReadSchema,
  EvaluationReportSchema,
  EvaluationRequestSchema,
  EvaluationStatsReadSchema,
  EvaluationStatsSchema,
  FindingListReadSchema,
  FindingListSchema,
  InventoryListReadSchema,
  InventoryListSchema,
  PaginationQuerySchema,
  PolicyVersionListReadSchema,
  PolicyVersionListSchema,
  PolicyVersionReadSchema,
  PolicyVersionSchema,
  ProblemSchema,
  parseDuration,
  ReplayRequestSchema,
  WebhookListReadSchema,
  WebhookListSchema,
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

describe("forward compatibility: clients read informational values a newer service added", () => {
  const result = {
    resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
    policy: "p",
    severity: "high",
    action: "deny",
    outcome: "fail",
    violations: [{ message: "bad" }],
    error: null,
    exception: null,
  };
  const report = {
    apiVersion: "celgate.dev/v1",
    kind: "EvaluationReport",
    id: "ev_1",
    decision: "deny",
    evaluatedAt: "2026-01-01T00:00:00Z",
    policySet: { digest: "sha256:00", policies: 1 },
    summary: { resources: 1, pass: 0, fail: 1, error: 0, skip: 0, waived: 0 },
    results: [result],
    notices: [{ kind: "skipped-document", message: "m", source: { file: "a.yaml", document: 0, line: 1 } }],
  };
  const finding = {
    id: "f_1",
    status: "open",
    resource: { cluster: "prod", namespace: null, kind: "Namespace", name: "shop" },
    policy: "p",
    policyVersion: null,
    severity: "high",
    action: "deny",
    message: "m",
    cause: "new-scan",
    trigger: {},
    openedAt: "2026-01-01T00:00:00Z",
    resolvedAt: null,
    resolution: null,
  };
  const page = (item: unknown) => ({ items: [item], nextCursor: null });
  const at = "2026-01-01T00:00:00Z";
  const evaluation = {
    id: "ev_1",
    evaluatedAt: at,
    recordedAt: at,
    decision: "allow",
    source: "api",
    actor: "ci",
    context: {},
    policySet: { digest: "sha256:00", policies: 1 },
    summary: { resources: 1, pass: 1, fail: 0, error: 0, skip: 0, waived: 0 },
  };
  const stats = {
    since: at,
    until: at,
    bucket: "day",
    total: 1,
    rows: [{ start: at, source: "cli", decision: "allow", count: 1 }],
  };
  const audit = {
    id: "a_1",
    at,
    actor: "x",
    action: "token.revoke",
    targetKind: "token",
    targetName: "t",
    detail: null,
  };
  const inventory = {
    cluster: "prod",
    namespace: null,
    kind: "Namespace",
    name: "shop",
    apiVersion: "v1",
    source: "admission",
    evaluationId: null,
    images: [],
    failing: [],
    recordedAt: at,
    updatedAt: at,
    evaluatedAt: at,
  };
  const version = { name: "p", version: 1, change: "create", source: "api", actor: "x", at, document: null };
  const webhook = {
    id: "wh_1",
    url: "https://hooks.example/x",
    events: ["finding.opened"],
    description: null,
    createdAt: at,
    createdBy: "admin",
  };
  const pairs = [
    ["report", EvaluationReportSchema, EvaluationReportReadSchema, report],
    ["finding list", FindingListSchema, FindingListReadSchema, page(finding)],
    ["evaluation list", EvaluationListSchema, EvaluationListReadSchema, page(evaluation)],
    ["stats answer", EvaluationStatsSchema, EvaluationStatsReadSchema, stats],
    ["audit list", AuditListSchema, AuditListReadSchema, page(audit)],
    ["inventory list", InventoryListSchema, InventoryListReadSchema, page(inventory)],
    ["policy version", PolicyVersionSchema, PolicyVersionReadSchema, version],
    ["policy version list", PolicyVersionListSchema, PolicyVersionListReadSchema, page(version)],
    ["webhook list", WebhookListSchema, WebhookListReadSchema, page(webhook)],
    ["created webhook", CreatedWebhookSchema, CreatedWebhookReadSchema, { ...webhook, secret: "s" }],
  ] as const;

  // informational values a newer service may add: the service writes only those it lists (its
  // OpenAPI document lists them), a client keeps any other as sent and refuses a wrong type
  const open = [
    [
      "history source",
      EvaluationListSchema,
      EvaluationListReadSchema,
      page({ ...evaluation, source: "gitops" }),
      page({ ...evaluation, source: 1 }),
    ],
    [
      "stats source",
      EvaluationStatsSchema,
      EvaluationStatsReadSchema,
      { ...stats, rows: [{ ...stats.rows[0], source: "gitops" }] },
      { ...stats, rows: [{ ...stats.rows[0], source: "" }] },
    ],
    [
      "audit targetKind",
      AuditListSchema,
      AuditListReadSchema,
      page({ ...audit, targetKind: "cluster" }),
      page({ ...audit, targetKind: null }),
    ],
    [
      "inventory source",
      InventoryListSchema,
      InventoryListReadSchema,
      page({ ...inventory, source: "gitops" }),
      page({ ...inventory, source: ["admission"] }),
    ],
    [
      "policy version change",
      PolicyVersionListSchema,
      PolicyVersionListReadSchema,
      page({ ...version, change: "rename" }),
      page({ ...version, change: 2 }),
    ],
    [
      "webhook event",
      WebhookListSchema,
      WebhookListReadSchema,
      page({ ...webhook, events: ["all"] }),
      page({ ...webhook, events: "all" }),
    ],
    [
      "created webhook event",
      CreatedWebhookSchema,
      CreatedWebhookReadSchema,
      { ...webhook, events: ["all"], secret: "s" },
      { ...webhook, events: [""], secret: "s" },
    ],
  ] as const;
  it.each(open)(
    "the writing schema refuses a %s it does not list; the reading one keeps it, not a wrong type",
    (_n, write, read, newer, wrong) => {
      expect(write.safeParse(newer).success).toBe(false);
      expect(read.parse(newer)).toEqual(newer);
      expect(read.safeParse(wrong).success).toBe(false);
    },
  );

  it.each([
    ["history decision", EvaluationListReadSchema, page({ ...evaluation, decision: "quarantine" })],
    [
      "stats decision",
      EvaluationStatsReadSchema,
      { ...stats, rows: [{ ...stats.rows[0], decision: "maybe" }] },
    ],
    ["policy version source", PolicyVersionReadSchema, { ...version, source: "git" }],
  ] as const)("a %s stays strict when read", (_n, read, body) => {
    expect(read.safeParse(body).success).toBe(false);
  });

  it.each(pairs)(
    "reads a %s the service writes exactly as the writing schema does",
    (_n, write, read, body) => {
      expect(read.parse(body)).toEqual(write.parse(body));
    },
  );

  it.each([["a notice kind", { ...report, notices: [{ kind: "policy-deprecated", message: "m" }] }]])(
    "the writing report schema refuses %s it does not list; the reading one keeps it",
    (_n, body) => {
      expect(EvaluationReportSchema.safeParse(body).success).toBe(false);
      expect(EvaluationReportReadSchema.parse(body)).toEqual(body);
    },
  );

  it.each([
    ["cause", { cause: "image-deleted" }],
    ["resolution", { status: "resolved", resolution: "moved", resolvedAt: "2026-01-02T00:00:00Z" }],
  ])("the writing findings schema refuses a %s it does not list; the reading one keeps it", (_n, change) => {
    const body = page({ ...finding, ...change });
    expect(FindingListSchema.safeParse(body).success).toBe(false);
    expect(FindingListReadSchema.parse(body)).toEqual(body);
  });

  // everything a decision rests on: refused by both, a value at a time
  const strict: [string, unknown][] = [
    ["decision", { ...report, decision: "quarantine" }],
    ["outcome", { ...report, results: [{ ...result, outcome: "unknown" }] }],
    ["action", { ...report, results: [{ ...result, action: "block" }] }],
    ["severity", { ...report, results: [{ ...result, severity: "urgent" }] }],
    ["summary", { ...report, summary: { ...report.summary, fail: "1" } }],
    ["apiVersion", { ...report, apiVersion: "celgate.dev/v2" }],
    ["id", { ...report, id: 1 }],
    ["notice message", { ...report, notices: [{ kind: "new" }] }],
    ["empty notice kind", { ...report, notices: [{ kind: "", message: "m" }] }],
    ["notice kind not a string", { ...report, notices: [{ kind: ["warning"], message: "m" }] }],
  ];
  it.each(strict)("a report's %s stays strict when read", (_n, body) => {
    expect(EvaluationReportSchema.safeParse(body).success).toBe(false);
    expect(EvaluationReportReadSchema.safeParse(body).success).toBe(false);
  });

  it.each([
    ["severity", { severity: "urgent" }],
    ["action", { action: "block" }],
    ["status", { status: "snoozed" }],
    ["cause not a string", { cause: 3 }],
  ])("a finding's %s stays strict when read", (_n, change) => {
    expect(FindingListReadSchema.safeParse(page({ ...finding, ...change })).success).toBe(false);
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
