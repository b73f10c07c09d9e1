import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildReport, toWireReport } from "../outcome.js";
import type { EvaluationReport, ResourceRef, Result } from "../types.js";
import { fnv1a64 } from "./hash.js";
import {
  displayPath,
  type FormatOptions,
  formatReport,
  REPORT_FORMATS,
  type ReportFormat,
  reportWriter,
  writeReport,
} from "./index.js";
import { escapeXml } from "./junit.js";
import { toTimestamp } from "./policyreport.js";
import { groupByResource } from "./shared.js";

// Fixture reports, built in code so they follow the types.

const web: ResourceRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "shop",
  name: "web",
  source: { file: "k8s/web.yaml", line: 1, document: 0 },
};
const worker: ResourceRef = {
  apiVersion: "batch/v1",
  kind: "CronJob",
  namespace: "billing",
  name: "nightly",
  source: { file: ".\\k8s\\jobs.yaml", line: 14, document: 1 },
};
const role: ResourceRef = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  name: "admin-all",
  source: { file: "./k8s/rbac.yaml", line: 1, document: 0 },
};

const nonRoot = {
  policy: "run-as-non-root",
  title: "Containers must not run as root",
  remediation: "Set securityContext.runAsNonRoot to true on the pod or on every container.",
  severity: "high",
  action: "deny",
} as const;
const latest = {
  policy: "disallow-latest-tag",
  title: "Images must not use the latest tag",
  remediation: "Pin images to a version tag or a digest.",
  severity: "medium",
  action: "warn",
} as const;
const wildcard = {
  policy: "no-wildcard-verbs",
  title: "Roles must not grant every verb",
  severity: "critical",
  action: "deny",
} as const;
const labels = {
  policy: "require-team-label",
  title: "Resources carry a team label",
  remediation: "Add metadata.labels.team.",
  severity: "low",
  action: "audit",
} as const;

type PolicyFacts = typeof nonRoot | typeof latest | typeof wildcard | typeof labels;

function r(
  resource: ResourceRef,
  policy: PolicyFacts,
  rest: Partial<Result> & Pick<Result, "outcome">,
): Result {
  return { resource, violations: [], error: null, exception: null, ...policy, ...rest };
}

const denyReport: EvaluationReport = buildReport({
  resources: [web, worker, role],
  policySet: { digest: "sha256:0f1e2d3c", policies: 4 },
  evaluatedAt: "2026-11-29T10:00:00.123456Z",
  results: [
    r(web, nonRoot, {
      outcome: "fail",
      violations: [
        {
          message: `container "web" may run as root <uid 0> & 'root' — ユーザー`,
          fieldPath: "spec.template.spec.containers[0]",
          reason: "Forbidden",
        },
        { message: "container sidecar may run as root", fieldPath: "spec.template.spec.containers[1]" },
      ],
    }),
    r(web, latest, { outcome: "pass" }),
    r(web, labels, { outcome: "fail", violations: [{ message: "label team is missing" }] }),
    r(web, wildcard, { outcome: "skip" }),
    r(worker, nonRoot, { outcome: "error", error: "no such key: securityContext\u0007\u001b[31m" }),
    r(worker, latest, {
      outcome: "waived",
      exception: "legacy-jobs",
      violations: [{ message: "image busybox:latest uses the latest tag" }],
    }),
    r(worker, labels, { outcome: "pass" }),
    r(role, wildcard, {
      outcome: "fail",
      violations: [{ message: "rule 0 grants verbs [*] on resources [*]\nand again on [pods]" }],
    }),
    r(role, labels, { outcome: "pass" }),
  ],
  notices: [
    {
      kind: "expired-exception",
      message: "exception old-waiver expired on 2026-11-01",
      exception: "old-waiver",
    },
  ],
});

const allowReport: EvaluationReport = buildReport({
  id: "ev_01JTEST",
  resources: [web],
  policySet: { digest: "sha256:aa", policies: 2 },
  evaluatedAt: "2026-11-29T10:00:00Z",
  includeSkipped: true,
  results: [
    r(web, latest, { outcome: "pass", policyVersion: 3 }),
    r(web, wildcard, { outcome: "skip", policyVersion: 1 }),
  ],
});

const warnReport: EvaluationReport = buildReport({
  resources: [worker],
  policySet: { digest: "sha256:bb", policies: 1 },
  evaluatedAt: "2026-11-29T10:00:00Z",
  results: [
    r(worker, latest, {
      outcome: "fail",
      violations: [{ message: "image busybox:latest uses the latest tag" }],
    }),
  ],
});

// Results of resources that alternate (as a caller of writeJson may list them), refs equal but
// not the same object, a ref without namespace or source, and text JSON must escape.
const bare: ResourceRef = { apiVersion: "v1", kind: "Namespace", name: 'odd "name" \\ \ud800' };
const mixedReport: EvaluationReport = {
  ...warnReport,
  results: [
    r(web, latest, { outcome: "pass", policyVersion: 7 }),
    r(bare, labels, {
      outcome: "fail",
      violations: [{ message: "tab\there \ud83d\ude00 and a lone \udc00", reason: "Invalid" }],
    }),
    r({ ...web, source: { ...web.source! } }, nonRoot, { outcome: "error", error: "\u0000\u001f\u007f" }),
    r(web, wildcard, { outcome: "skip" }),
    r(bare, nonRoot, { outcome: "pass" }),
    // one policy's plain results (no violation, error, exception or version) in other outcomes
    // and with another severity or action: each written as it is
    r(bare, wildcard, { outcome: "pass" }),
    r(web, wildcard, { outcome: "pass", severity: "low" }),
    r(web, wildcard, { outcome: "pass", action: "warn" }),
    r(bare, wildcard, { outcome: "skip" }),
    r(web, wildcard, { outcome: "pass", error: undefined as unknown as null }),
  ],
};

const FIXTURES = { deny: denyReport, allow: allowReport, warn: warnReport };

const EXTENSION: Record<ReportFormat, string> = {
  text: "txt",
  json: "json",
  sarif: "sarif",
  junit: "xml",
  policyreport: "yaml",
};

const OPTIONS: FormatOptions = { toolVersion: "0.1.0" };

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), "__golden__");

/** Compares with the golden file; writes it when absent or when UPDATE_GOLDEN=1. */
function expectGolden(name: string, actual: string): void {
  const file = join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("golden files", () => {
  for (const [fixture, report] of Object.entries(FIXTURES)) {
    for (const format of REPORT_FORMATS) {
      it(`${fixture} as ${format}`, () => {
        expectGolden(`${fixture}.golden.${EXTENSION[format]}`, formatReport(report, format, OPTIONS));
      });
    }
  }

  it("deny as coloured verbose text", () => {
    expectGolden(
      "deny-color-verbose.golden.txt",
      formatReport(denyReport, "text", { color: true, verbose: true }),
    );
  });
});

describe("text", () => {
  it("ends with the summary line", () => {
    const lines = formatReport(denyReport, "text").trimEnd().split("\n");
    expect(lines.at(-1)).toBe("deny: 3 resources, 3 passed, 3 failed, 1 error, 1 waived, 1 skipped");
  });

  it("uses ANSI escapes only with color", () => {
    expect(formatReport(denyReport, "text")).not.toContain("\u001b");
    expect(formatReport(denyReport, "text", { color: true })).toContain("\u001b[31m");
  });

  it("never passes control characters from messages to the terminal", () => {
    const text = formatReport(denyReport, "text", { verbose: true });
    expect(text).not.toContain("\u001b");
    expect(text).toContain("\\u001b[31m");
  });

  it("shows bidirectional controls and invisible characters as escapes, right-to-left text and emoji as they are", () => {
    const tricky = "allow\u202eyned \u2066x\u2069 a\u200bb \u200fmark \ufeffbom \u2028line";
    const report: EvaluationReport = {
      ...denyReport,
      results: denyReport.results.map((result, i) =>
        i === 0
          ? {
              ...result,
              outcome: "fail",
              violations: [{ message: `${tricky} שלום مرحبا 👩🏽‍💻` }],
              resource: { ...result.resource, name: `web${tricky}` },
            }
          : result,
      ),
    };
    const text = formatReport(report, "text", { verbose: true });
    for (const char of ["\u202e", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\u2028"]) {
      expect(text).not.toContain(char);
      expect(text).toContain(`\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
    }
    expect(text).toContain("שלום مرحبا 👩🏽‍💻");
  });

  it("counts clean resources unless verbose, which lists them", () => {
    expect(formatReport(allowReport, "text")).toContain("1 resource passed every policy that applies");
    expect(formatReport(allowReport, "text")).not.toContain("shop/web");
    expect(formatReport(denyReport, "text")).toMatch(/\d+ passed/);
    const verbose = formatReport(allowReport, "text", { verbose: true });
    expect(verbose).toMatch(/PASS +disallow-latest-tag/);
    expect(verbose).toMatch(/SKIP +no-wildcard-verbs/);
  });
});

describe("json", () => {
  it("is the wire report without formatter-only fields", () => {
    const parsed = JSON.parse(formatReport(denyReport, "json"));
    expect(parsed.summary).toEqual(denyReport.summary);
    expect(parsed.results).toHaveLength(denyReport.results.length);
    for (const result of parsed.results) {
      expect(result).not.toHaveProperty("remediation");
      expect(result).not.toHaveProperty("title");
    }
  });
});

describe("json, streamed", () => {
  const withNotices: EvaluationReport = {
    ...denyReport,
    id: "ev_1",
    notices: [{ kind: "unused-image-facts", message: "image facts for x match nothing", image: "x" }],
  };
  const empty: EvaluationReport = { ...allowReport, results: [] };

  it("writes, piece by piece, exactly JSON.stringify of the wire report, pretty and compact", () => {
    for (const report of [denyReport, allowReport, withNotices, empty, mixedReport]) {
      for (const compact of [false, true]) {
        const pieces: string[] = [];
        writeReport(report, "json", (piece) => pieces.push(piece), { compact });
        const expected = `${JSON.stringify(toWireReport(report), null, compact ? undefined : 2)}\n`;
        expect(pieces.join("")).toBe(expected);
        expect(formatReport(report, "json", { compact })).toBe(expected);
        // one piece per result at least: never the whole report in one string
        if (report.results.length > 1) expect(pieces.length).toBeGreaterThan(report.results.length);
      }
    }
  });

  it("writes other formats as their formatReport text", () => {
    for (const format of REPORT_FORMATS) {
      const pieces: string[] = [];
      writeReport(denyReport, format, (piece) => pieces.push(piece), OPTIONS);
      expect(pieces.join("")).toBe(formatReport(denyReport, format, OPTIONS));
    }
  });
});

describe("writers, streamed by resource", () => {
  const withNotices: EvaluationReport = {
    ...denyReport,
    id: "ev_1",
    notices: [
      { kind: "unused-image-facts", message: "image facts for x match nothing", image: "x" },
      { kind: "warning", message: "a \u001b[31mred\u001b[0m warning" },
    ],
  };
  const empty: EvaluationReport = { ...allowReport, results: [] };
  // in report order: each resource's results together
  const grouped = { ...mixedReport, results: groupByResource(mixedReport.results).flatMap((g) => g.results) };
  const reports = { deny: denyReport, allow: allowReport, warn: warnReport, withNotices, empty, grouped };

  /** As `check` writes: every resource's results first, then the head and the tail around them. */
  function streamed(report: EvaluationReport, format: ReportFormat, options: FormatOptions): string {
    const writer = reportWriter(format, options);
    if (!writer) throw new Error(`${format} has no writer`);
    const { results, ...head } = report;
    const body = groupByResource(results).map((group) => writer.results(group.results));
    return writer.head(head) + body.join("") + writer.tail(head);
  }

  it("json: exactly JSON.stringify of the wire report, compact and pretty, the head written last", () => {
    for (const [name, report] of Object.entries(reports)) {
      for (const compact of [false, true]) {
        const expected = `${JSON.stringify(toWireReport(report), null, compact ? undefined : 2)}\n`;
        expect(streamed(report, "json", { compact }), `${name}, compact ${compact}`).toBe(expected);
      }
    }
  });

  it("text: exactly formatReport's text, in every mode", () => {
    const modes: FormatOptions[] = [{}, { verbose: true }, { quiet: true }, { color: true, verbose: true }];
    for (const [name, report] of Object.entries(reports)) {
      for (const options of modes)
        expect(streamed(report, "text", options), `${name}, ${JSON.stringify(options)}`).toBe(
          formatReport(report, "text", options),
        );
    }
    // and the golden text (today's output) itself
    expect(streamed(denyReport, "text", OPTIONS)).toBe(
      readFileSync(join(goldenDir, "deny.golden.txt"), "utf8"),
    );
  });

  it("text names five resources per hint and counts the rest, one resource at a time", () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ ...web, name: `web-${i}` }));
    const report = buildReport({
      resources: many,
      policySet: { digest: "sha256:cc", policies: 1 },
      evaluatedAt: "2026-11-29T10:00:00Z",
      results: many.map((ref) => r(ref, nonRoot, { outcome: "fail", violations: [{ message: "root" }] })),
    });
    const text = streamed(report, "text", {});
    expect(text).toBe(formatReport(report, "text"));
    const named = [0, 1, 2, 3, 4].map((i) => `Deployment shop/web-${i}`).join(", ");
    expect(text).toContain(`${named}, and 2 more`);
  });

  it("sarif, junit and policyreport need the whole report: no writer", () => {
    for (const format of ["sarif", "junit", "policyreport"] as const)
      expect(reportWriter(format)).toBeUndefined();
  });
});

describe("sarif", () => {
  const sarif = JSON.parse(formatReport(denyReport, "sarif", OPTIONS));
  const run = sarif.runs[0];

  it("has the properties GitHub code scanning requires", () => {
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.version).toBe("2.1.0");
    expect(run.tool.driver.name).toBe("celgate");
    expect(run.tool.driver.version).toBe("0.1.0");
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    for (const rule of run.tool.driver.rules) {
      expect(rule.id).toBeTruthy();
      expect(rule.shortDescription.text).toBeTruthy();
      expect(rule.fullDescription.text).toBeTruthy();
      expect(rule.help.text).toBeTruthy();
      expect(["error", "warning", "note"]).toContain(rule.defaultConfiguration.level);
      expect(rule.properties.tags).toContain("security");
      expect(Number(rule.properties["security-severity"])).toBeGreaterThan(0);
    }
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
      expect(result.message.text).toBeTruthy();
      const physical = result.locations[0].physicalLocation;
      expect(physical.artifactLocation.uri).not.toMatch(/\\|^\.\/|^\//);
      expect(physical.region.startLine).toBeGreaterThanOrEqual(1);
      expect(Object.values(result.partialFingerprints)[0]).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("reports fail, error and waived pairs, the waived one suppressed", () => {
    const outcomes = run.results.map(
      (result: { properties: { outcome: string } }) => result.properties.outcome,
    );
    expect(outcomes).toEqual(["fail", "fail", "waived", "error", "fail"]);
    const waived = run.results[2];
    expect(waived.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: "waived by PolicyException legacy-jobs" },
    ]);
    expect(waived.locations[0].physicalLocation.artifactLocation.uri).toBe("k8s/jobs.yaml");
  });

  it("maps actions to levels and severities to scores", () => {
    const rules = Object.fromEntries(
      run.tool.driver.rules.map((rule: { id: string }) => [rule.id, rule]),
    ) as Record<string, { defaultConfiguration: { level: string }; properties: Record<string, string> }>;
    expect(rules["run-as-non-root"]?.defaultConfiguration.level).toBe("error");
    expect(rules["disallow-latest-tag"]?.defaultConfiguration.level).toBe("warning");
    expect(rules["require-team-label"]?.defaultConfiguration.level).toBe("note");
    expect(rules["no-wildcard-verbs"]?.properties["security-severity"]).toBe("9.5");
    expect(rules["run-as-non-root"]?.properties["security-severity"]).toBe("8.0");
  });

  it("shows a file name holding a newline, ESC or a bidi override quoted on one line in text", () => {
    const cases: [string, string][] = [
      ["a\nb.yaml", '"a\\nb.yaml"'],
      ["x\u001b[31m.yaml", '"x\\u001b[31m.yaml"'],
      ["evil\u202elmay.yaml", '"evil\\u202elmay.yaml"'],
      ["deploy/my app/web.yaml", "deploy/my app/web.yaml"],
    ];
    for (const [file, shown] of cases) {
      const placed = { ...web, source: { file, line: 3, document: 0 } };
      const report = buildReport({
        resources: [placed],
        policySet: { digest: "x", policies: 1 },
        evaluatedAt: "2026-11-29T10:00:00Z",
        results: [r(placed, nonRoot, { outcome: "fail" })],
      });
      const [heading] = formatReport(report, "text").split("\n");
      expect(heading, JSON.stringify(file)).toBe(`Deployment shop/web (${shown}:3)`);
      // the JSON report keeps the name as it is
      expect(formatReport(report, "json")).toContain(`"file": ${JSON.stringify(file)}`);
    }
    expect(displayPath("a.yaml")).toBe("a.yaml");
    expect(displayPath("tab\tname")).toBe('"tab\\tname"');
  });

  it("writes file URIs relative to baseDir, percent-encoded", () => {
    const placed = { ...web, source: { file: "/repo/deploy/my app/web.yaml", line: 7, document: 0 } };
    const report = buildReport({
      resources: [placed],
      policySet: { digest: "x", policies: 1 },
      evaluatedAt: "2026-11-29T10:00:00Z",
      results: [r(placed, nonRoot, { outcome: "fail" })],
    });
    const location = JSON.parse(formatReport(report, "sarif", { baseDir: "/repo/" })).runs[0].results[0]
      .locations[0];
    expect(location.physicalLocation).toEqual({
      artifactLocation: { uri: "deploy/my%20app/web.yaml" },
      region: { startLine: 7 },
    });
  });

  it("writes a file:// URI for an absolute path outside baseDir, never a root-relative reference", () => {
    const uriOf = (file: string) => {
      const placed = { ...web, source: { file, line: 1, document: 0 } };
      const report = buildReport({
        resources: [placed],
        policySet: { digest: "x", policies: 1 },
        evaluatedAt: "2026-11-29T10:00:00Z",
        results: [r(placed, nonRoot, { outcome: "fail" })],
      });
      return JSON.parse(formatReport(report, "sarif", { baseDir: "/repo" })).runs[0].results[0].locations[0]
        .physicalLocation.artifactLocation.uri;
    };
    expect(uriOf("/tmp/my app/web.yaml")).toBe("file:///tmp/my%20app/web.yaml");
    expect(uriOf("C:\\work\\web.yaml")).toBe("file:///C:/work/web.yaml");
    expect(uriOf("/repo/k8s/web.yaml")).toBe("k8s/web.yaml");
    expect(uriOf("k8s/web.yaml")).toBe("k8s/web.yaml");
  });

  it("fingerprints a pair by identity, not by position", () => {
    const moved = { ...web, source: { file: "k8s/web.yaml", line: 40, document: 2 } };
    const again = buildReport({
      resources: [moved],
      policySet: { digest: "x", policies: 1 },
      evaluatedAt: "2026-11-29T10:00:00Z",
      results: [r(moved, nonRoot, { outcome: "fail" })],
    });
    const first = run.results.find(
      (result: { ruleId: string }) => result.ruleId === "run-as-non-root",
    ).partialFingerprints;
    const second = JSON.parse(formatReport(again, "sarif")).runs[0].results[0].partialFingerprints;
    expect(second).toEqual(first);
  });
});

/**
 * A small well-formedness check, enough for what formatJunit writes: every tag closes in
 * order, attributes are quoted, and no raw `<`, `&` or control character appears in text.
 */
function checkXml(xml: string): void {
  const stack: string[] = [];
  let i = xml.indexOf("?>") + 2;
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  while (i < xml.length) {
    const char = xml[i] ?? "";
    const code = char.charCodeAt(0);
    expect(code >= 0x20 || char === "\n" || char === "\t" || char === "\r").toBe(true);
    if (char === "&") {
      const end = xml.indexOf(";", i);
      expect(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"]).toContain(
        xml.slice(i, end + 1),
      );
      i = end + 1;
      continue;
    }
    if (char !== "<") {
      expect(char).not.toBe(">");
      i += 1;
      continue;
    }
    // Scan a tag, stepping over quoted attribute values.
    let j = i + 1;
    let quote = "";
    while (j < xml.length && (quote || xml[j] !== ">")) {
      const c = xml[j];
      if (quote) {
        expect(c).not.toBe("<");
        if (c === quote) quote = "";
      } else if (c === '"' || c === "'") {
        quote = c;
      }
      j += 1;
    }
    const tag = xml.slice(i + 1, j);
    const name = tag.replace(/^\//, "").split(/[\s/]/)[0] ?? "";
    if (tag.startsWith("/")) expect(stack.pop()).toBe(name);
    else if (!tag.endsWith("/")) stack.push(name);
    i = j + 1;
  }
  expect(stack).toEqual([]);
}

describe("junit", () => {
  const xml = formatReport(denyReport, "junit");

  it("is well-formed", () => {
    checkXml(xml);
    checkXml(formatReport(allowReport, "junit"));
  });

  it("has a suite per policy and a case per resource, with totals", () => {
    expect(xml.match(/<testsuite /g)).toHaveLength(4);
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml).toContain(
      '<testsuites name="celgate" tests="8" failures="3" errors="1" skipped="1" time="0">',
    );
    expect(xml).toContain('classname="run-as-non-root" name="Deployment/shop/web"');
    expect(xml).toContain('name="ClusterRole/admin-all"');
    expect(xml).toContain('<skipped message="waived by exception legacy-jobs"/>');
  });

  it("escapes markup and control characters", () => {
    expect(escapeXml(`<a href="x">&'</a>`, true)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(escapeXml("a\u0007b\u0000c\tline\n")).toBe("a\\u0007b\\u0000c\tline\n");
    expect(escapeXml("tab\tnew\nline", true)).toBe("tab&#9;new&#10;line");
    expect(escapeXml("ユーザー 😀 \ud800")).toBe("ユーザー 😀 \\ud800");
  });
});

describe("policyreport", () => {
  const yamlText = formatReport(denyReport, "policyreport");
  const docs = parseAllDocuments(yamlText).map((doc) => doc.toJS());

  it("has one PolicyReport per namespace and one ClusterPolicyReport", () => {
    expect(docs.map((doc) => [doc.kind, doc.metadata.namespace ?? null])).toEqual([
      ["PolicyReport", "billing"],
      ["PolicyReport", "shop"],
      ["ClusterPolicyReport", null],
    ]);
    for (const doc of docs) {
      expect(doc.apiVersion).toBe("wgpolicyk8s.io/v1alpha2");
      expect(doc.metadata.name).toMatch(/^celgate-/);
    }
  });

  it("maps outcomes to results and counts them", () => {
    const shop = docs[1];
    expect(shop.results.map((result: { result: string }) => result.result)).toEqual(["pass", "fail", "fail"]);
    expect(shop.summary).toEqual({ pass: 1, fail: 2, warn: 0, error: 0, skip: 0 });
    const billing = docs[0];
    expect(billing.results.map((result: { result: string }) => result.result)).toEqual([
      "skip",
      "pass",
      "error",
    ]);
    const warned = parseAllDocuments(formatReport(warnReport, "policyreport")).map((doc) => doc.toJS());
    expect(warned[0].results[0].result).toBe("warn");
    expect(warned[0].summary.warn).toBe(1);
  });

  it("carries the resource, source, severity and timestamp", () => {
    const result = docs[1].results[2];
    expect(result).toMatchObject({
      source: "celgate",
      policy: "run-as-non-root",
      rule: "run-as-non-root",
      severity: "high",
      resources: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" }],
      timestamp: { seconds: 1795946400, nanos: 123456000 },
    });
    expect(docs[2].results[0].resources[0]).not.toHaveProperty("namespace");
  });

  it("is empty for a report without results", () => {
    expect(formatReport({ ...allowReport, results: [] }, "policyreport")).toBe("");
  });
});

describe("helpers", () => {
  it("hashes with FNV-1a 64", () => {
    // Reference values of the FNV-1a 64-bit test suite.
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("converts RFC 3339 timestamps", () => {
    expect(toTimestamp("1970-01-01T00:00:01.5Z")).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(toTimestamp("2026-11-29T10:00:00Z")).toEqual({ seconds: 1795946400, nanos: 0 });
    expect(toTimestamp("not a time")).toEqual({ seconds: 0, nanos: 0 });
  });
});
